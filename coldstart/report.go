package coldstart

import "time"

// Report is the result of [Analyze]. It marshals to JSON as is.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Input       Input     `json:"input"`
	Settings    Settings  `json:"settings"`
	// Functions has one entry per function, version and memory size, most
	// invocations first.
	Functions []*FunctionReport `json:"functions"`
}

// Input describes what was read.
type Input struct {
	Streams []string `json:"streams"`
	// Shapes says, per stream in the order read, how it carried the lines
	// (see [Shape]).
	Shapes []StreamShape `json:"shapes"`
	Bytes  int64         `json:"bytes"`
	// Lines counts log events: lines, or the records of a CSV or JSON
	// export (a message spanning lines is one).
	Lines         int64 `json:"lines"`
	PlatformLines int64 `json:"platform_lines"`
	// Malformed counts platform lines that were truncated or corrupt;
	// Oversized counts lines longer than 1 MiB, which were skipped. Neither
	// stops the analysis.
	Malformed int64 `json:"malformed"`
	Oversized int64 `json:"oversized"`
	// MalformedSamples are the first few malformed lines (cut to 200 bytes).
	MalformedSamples []string `json:"malformed_samples,omitempty"`
	// UnmatchedStarts counts START lines whose REPORT never came (lost or
	// truncated lines, or an invocation still running at the end);
	// ReportsWithoutStart counts REPORT lines without their START.
	UnmatchedStarts     int64 `json:"unmatched_starts"`
	ReportsWithoutStart int64 `json:"reports_without_start"`
	// UntimedReports counts REPORT lines without any timestamp: they are in
	// the totals but not in the time-based figures.
	UntimedReports int64 `json:"untimed_reports"`
	// ReplayTruncated is set when more invocations were seen than
	// Options.MaxReplayArrivals; the simulation then covers the first ones.
	ReplayTruncated bool          `json:"replay_truncated,omitempty"`
	Elapsed         time.Duration `json:"elapsed_ns"`
}

// StreamShape is the shape one stream was read in.
type StreamShape struct {
	Stream string `json:"stream"`
	Shape  Shape  `json:"shape"`
	// LogStreams counts the CloudWatch log streams named in it (0 when
	// the shape names none).
	LogStreams int64 `json:"log_streams"`
}

// Settings echoes the options the report was made with.
type Settings struct {
	Region      string        `json:"region"`
	Arch        string        `json:"arch"`
	P99Target   time.Duration `json:"p99_target_ns"`
	Timezone    string        `json:"timezone"`
	PriceSource string        `json:"price_source"`
	Prices      Prices        `json:"prices"`
}

// FunctionReport is the analysis of one function, version and memory size.
type FunctionReport struct {
	Function string `json:"function"`
	Version  string `json:"version"`
	MemoryMB int    `json:"memory_mb"`

	First time.Time `json:"first"`
	Last  time.Time `json:"last"`

	Invocations int64      `json:"invocations"`
	ColdStarts  ColdStarts `json:"cold_starts"`
	// ColdRate is the share of invocations that waited for an init or a
	// restore (on-demand, SnapStart and re-run inits).
	ColdRate float64 `json:"cold_rate"`
	Timeouts int64   `json:"timeouts"`
	Errors   int64   `json:"errors"`
	// Environments counts execution environments: the log streams whose
	// REPORTs are here, when the input names log streams (aws logs tail,
	// CloudWatch exports and API output; 0 otherwise), since CloudWatch
	// writes one log stream per environment. EnvironmentsBeforeLog are
	// those whose init is not in the input (started before it): the
	// others are the inits the cold starts and provisioned inits count.
	Environments          int64 `json:"environments"`
	EnvironmentsBeforeLog int64 `json:"environments_before_log"`

	// Init is the on-demand init duration, Restore the SnapStart restore
	// duration, InitRerun the init re-run inside invocations.
	Init      Percentiles `json:"init"`
	Restore   Percentiles `json:"restore"`
	InitRerun Percentiles `json:"init_rerun"`
	// Latency is the end-to-end latency (duration plus init or restore) of
	// cold and warm invocations; Duration is the handler duration alone.
	Latency  ColdWarm `json:"latency"`
	Duration ColdWarm `json:"duration"`
	// LatencyAll is the end-to-end latency of every invocation.
	LatencyAll Percentiles `json:"latency_all"`

	// ByHour and ByWeekday (index 0 = Sunday) are in Settings.Timezone.
	ByHour    [24]Slot `json:"by_hour"`
	ByWeekday [7]Slot  `json:"by_weekday"`
	// Heatmap is the traffic of each weekday (index 0 = Sunday) and hour.
	Heatmap [7][24]Cell `json:"heatmap"`
	// Hotspot is the window where cold starts concentrate.
	Hotspot *Hotspot `json:"hotspot,omitempty"`

	// Concurrency is the number of busy environments over time,
	// reconstructed from START and REPORT, at Resolution.
	Concurrency     []ConcurrencyPoint `json:"concurrency"`
	Resolution      time.Duration      `json:"resolution_ns"`
	PeakConcurrency int                `json:"peak_concurrency"`

	Billed Billed `json:"billed"`

	// Histograms for charts: end-to-end latency of cold and warm
	// invocations, four buckets per doubling.
	LatencyHistogram struct {
		Cold []Bucket `json:"cold"`
		Warm []Bucket `json:"warm"`
	} `json:"latency_histogram"`

	Plan *Plan `json:"plan,omitempty"`
}

// ColdStarts splits initialisations by kind.
type ColdStarts struct {
	// OnDemand are invocations that waited for an init (REPORT with Init
	// Duration).
	OnDemand int64 `json:"on_demand"`
	// SnapStart are invocations that waited for a restore.
	SnapStart int64 `json:"snap_start"`
	// InitRerun are inits re-run inside an invocation after a failed or
	// timed-out init (INIT_REPORT with Phase: invoke).
	InitRerun int64 `json:"init_rerun"`
	// Provisioned are inits of provisioned environments, ahead of any
	// request. The JSON format says so; for the text format it is inferred
	// as INIT_START lines not followed by an on-demand cold start.
	Provisioned int64 `json:"provisioned"`
	// InitStarts counts INIT_START lines; InitFailures INIT_REPORT lines
	// with a status other than success.
	InitStarts   int64 `json:"init_starts"`
	InitFailures int64 `json:"init_failures"`
}

// Total returns the cold starts that a request waited for.
func (c ColdStarts) Total() int64 { return c.OnDemand + c.SnapStart + c.InitRerun }

// ColdWarm are cold and warm summaries of one measure.
type ColdWarm struct {
	Cold Percentiles `json:"cold"`
	Warm Percentiles `json:"warm"`
}

// Slot is the traffic of one hour of the day or one weekday.
type Slot struct {
	Invocations int64   `json:"invocations"`
	ColdStarts  int64   `json:"cold_starts"`
	ColdRate    float64 `json:"cold_rate"`
	P99Ms       float64 `json:"p99_ms"`
}

// Cell is the traffic of one hour of one weekday, over the whole log.
type Cell struct {
	Invocations int64 `json:"invocations"`
	ColdStarts  int64 `json:"cold_starts"`
}

// Hotspot names the hours and days where cold starts concentrate.
type Hotspot struct {
	StartHour int `json:"start_hour"`
	EndHour   int `json:"end_hour"` // exclusive
	// Weekdays is set when the window is on Monday to Friday only.
	Weekdays bool `json:"weekdays"`
	// Share is the share of all cold starts in the window, HoursShare the
	// share of the week's hours it covers.
	Share      float64 `json:"share"`
	HoursShare float64 `json:"hours_share"`
	P99Ms      float64 `json:"p99_ms"`
	Summary    string  `json:"summary"`
}

// ConcurrencyPoint is the concurrency in [Time, Time+Resolution).
type ConcurrencyPoint struct {
	Time time.Time `json:"t"`
	Max  int       `json:"max"`
	Mean float64   `json:"mean"`
}

// Billed is what Lambda billed for the invocations seen.
type Billed struct {
	Requests  int64   `json:"requests"`
	GBSeconds float64 `json:"gb_s"`
	// RestoreGBSeconds is the billed restore duration of SnapStart.
	RestoreGBSeconds float64 `json:"restore_gb_s"`
	// InitBilled counts on-demand cold starts whose billed duration
	// includes the init (billing after 2025-08-01, or custom runtimes).
	InitBilled int64 `json:"init_billed"`
	// InitGBSeconds is the billed init part of those cold starts.
	InitGBSeconds float64 `json:"init_gb_s"`
	// Cost is the list price of the above, in USD, over the period seen.
	Cost float64 `json:"cost_usd"`
}
