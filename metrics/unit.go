package metrics

// Unit is a CloudWatch metric unit, spelled as CloudWatch spells it.
type Unit string

// The CloudWatch units (MetricDatum's Unit).
const (
	Seconds            Unit = "Seconds"
	Microseconds       Unit = "Microseconds"
	Milliseconds       Unit = "Milliseconds"
	Bytes              Unit = "Bytes"
	Kilobytes          Unit = "Kilobytes"
	Megabytes          Unit = "Megabytes"
	Gigabytes          Unit = "Gigabytes"
	Terabytes          Unit = "Terabytes"
	Bits               Unit = "Bits"
	Kilobits           Unit = "Kilobits"
	Megabits           Unit = "Megabits"
	Gigabits           Unit = "Gigabits"
	Terabits           Unit = "Terabits"
	Percent            Unit = "Percent"
	Count              Unit = "Count"
	BytesPerSecond     Unit = "Bytes/Second"
	KilobytesPerSecond Unit = "Kilobytes/Second"
	MegabytesPerSecond Unit = "Megabytes/Second"
	GigabytesPerSecond Unit = "Gigabytes/Second"
	TerabytesPerSecond Unit = "Terabytes/Second"
	BitsPerSecond      Unit = "Bits/Second"
	KilobitsPerSecond  Unit = "Kilobits/Second"
	MegabitsPerSecond  Unit = "Megabits/Second"
	GigabitsPerSecond  Unit = "Gigabits/Second"
	TerabitsPerSecond  Unit = "Terabits/Second"
	CountPerSecond     Unit = "Count/Second"
	None               Unit = "None"
)

var units = map[Unit]bool{
	Seconds: true, Microseconds: true, Milliseconds: true,
	Bytes: true, Kilobytes: true, Megabytes: true, Gigabytes: true, Terabytes: true,
	Bits: true, Kilobits: true, Megabits: true, Gigabits: true, Terabits: true,
	Percent: true, Count: true,
	BytesPerSecond: true, KilobytesPerSecond: true, MegabytesPerSecond: true, GigabytesPerSecond: true, TerabytesPerSecond: true,
	BitsPerSecond: true, KilobitsPerSecond: true, MegabitsPerSecond: true, GigabitsPerSecond: true, TerabitsPerSecond: true,
	CountPerSecond: true, None: true,
}

// Valid reports whether u is one of the CloudWatch units.
func (u Unit) Valid() bool { return units[u] }

// Resolution is a metric's storage resolution in seconds.
type Resolution int

// Storage resolutions CloudWatch accepts.
const (
	StandardResolution Resolution = 60 // one data point per minute (the default)
	HighResolution     Resolution = 1  // one data point per second
)
