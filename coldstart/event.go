package coldstart

// EventType is the kind of a Lambda platform log line.
type EventType uint8

// The platform events the parser recognises. Text lines and JSON platform
// events map onto the same types.
const (
	EventNone          EventType = iota // not a platform line (application output)
	EventStart                          // START / platform.start
	EventEnd                            // END (text format only)
	EventReport                         // REPORT / platform.report
	EventInitStart                      // INIT_START / platform.initStart
	EventInitReport                     // INIT_REPORT / platform.initReport
	EventRestoreStart                   // RESTORE_START / platform.restoreStart
	EventRestoreReport                  // RESTORE_REPORT / platform.restoreReport
)

var eventTypeNames = [...]string{"none", "start", "end", "report", "initStart", "initReport", "restoreStart", "restoreReport"}

func (t EventType) String() string {
	if int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "unknown"
}

// InitType is how an execution environment was initialised
// (the initializationType of platform.initStart).
type InitType uint8

// Initialisation types.
const (
	InitUnknown     InitType = iota // text format, which does not say
	InitOnDemand                    // "on-demand"
	InitProvisioned                 // "provisioned-concurrency"
	InitSnapStart                   // "snap-start"
)

// Phase is the phase an INIT_REPORT belongs to: the normal init phase, or an
// init re-run inside an invocation after a failed or timed-out init.
type Phase uint8

// Phases.
const (
	PhaseInit   Phase = iota // "init"
	PhaseInvoke              // "invoke": init re-run during the invocation
)

// Event is one parsed platform line. Byte-slice fields alias the line that
// was parsed and are only valid until the next line is read; copy them to
// keep them. Numeric fields that the line did not carry are 0.
type Event struct {
	Type EventType
	// Time is the line's timestamp in Unix milliseconds: the one its
	// shape carries (a prefix, a CSV column, a JSON field), else the JSON
	// format's "time", else 0.
	Time int64
	// LogStream is the CloudWatch log stream the line came from (one per
	// execution environment), when its shape says.
	LogStream []byte

	RequestID []byte
	Version   []byte // START / platform.start
	// FunctionName is set by platform.initStart and platform.restoreStart.
	FunctionName []byte

	DurationMs float64 // REPORT Duration, INIT_REPORT Init Duration, RESTORE_REPORT Restore Duration
	// BilledDurationMs, MemoryMB and MaxMemoryUsedMB are 0 when a JSON
	// platform.report leaves them out (text REPORT lines always have them).
	BilledDurationMs  float64
	MemoryMB          int
	MaxMemoryUsedMB   int
	InitDurationMs    float64 // REPORT only, present on on-demand cold starts
	RestoreDurationMs float64 // REPORT only, present on SnapStart restores
	BilledRestoreMs   float64

	// Status is "success", "error", "failure" or "timeout" when the line
	// says; text REPORT lines carry it only when it is not success.
	Status    []byte
	ErrorType []byte
	InitType  InitType
	Phase     Phase
	// JSON is set for lines in the JSON log format.
	JSON bool

	jsonTime []byte // the JSON format's "time", parsed when no shape's time is there
}

func (e *Event) reset() {
	*e = Event{}
}
