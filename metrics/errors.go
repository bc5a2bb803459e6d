package metrics

import "errors"

// Errors returned when a metric, dimension or property breaks the embedded
// metric format's rules. The Set is left unchanged.
var (
	// ErrNamespace reports a missing or too long (over 255 characters)
	// namespace.
	ErrNamespace = errors.New("metrics: namespace must be 1 to 255 characters")
	// ErrInvalidName reports an empty or too long metric, dimension or
	// property name.
	ErrInvalidName = errors.New("metrics: invalid name")
	// ErrInvalidValue reports a NaN or infinite metric value, or an empty
	// or too long (over 1024 characters) dimension value.
	ErrInvalidValue = errors.New("metrics: invalid value")
	// ErrInvalidUnit reports a unit that is not a CloudWatch unit.
	ErrInvalidUnit = errors.New("metrics: invalid unit")
	// ErrUnitConflict reports a metric added again with another unit or
	// resolution.
	ErrUnitConflict = errors.New("metrics: metric already recorded with another unit or resolution")
	// ErrNameConflict reports a name used both as a metric and as a dimension
	// or property: they share the document's top level.
	ErrNameConflict = errors.New("metrics: name already used by a metric, dimension or property")
	// ErrTooManyDimensions reports a 31st dimension: CloudWatch accepts at
	// most 30 per dimension set.
	ErrTooManyDimensions = errors.New("metrics: more than 30 dimensions")
)

// ErrNoMetrics is returned by [Set.Flush] for a Set without metrics when the
// Recorder's Options.Empty is EmptyError.
var ErrNoMetrics = errors.New("metrics: no metrics to flush")
