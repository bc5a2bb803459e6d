// Package metrics writes CloudWatch metrics in the embedded metric format
// (EMF): JSON documents on standard output that CloudWatch Logs turns into
// metrics, with no API call and no added latency.
//
// # Use
//
// Create one [Recorder] per process and a [Set] per invocation; flush the Set
// when the invocation ends (the middleware package does both):
//
//	rec, err := metrics.New(os.Stdout, &metrics.Options{
//		Namespace:  "Orders",
//		Dimensions: []metrics.Dimension{{Name: "service", Value: "checkout"}},
//	})
//	...
//	ctx, set := rec.Start(ctx)
//	defer set.Flush()
//	metrics.FromContext(ctx).Add("OrdersStored", metrics.Count, 1)
//
// # Documents
//
// Each document is one line:
//
//	{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Orders",
//	  "Dimensions":[["service"]],"Metrics":[{"Name":"OrdersStored","Unit":"Count"}]}]},
//	  "service":"checkout","requestId":"c6af9ac6-...","OrdersStored":1}
//
// All the Set's dimensions form one dimension set (at most [MaxDimensions]);
// a metric added several times carries an array of values. The format's
// limits are kept by splitting: at most [MaxMetricsPerDocument] metrics and
// [MaxValuesPerMetric] values per metric in a document, and few enough values
// that a document stays under CloudWatch Logs' 256 KB event size. Metrics with
// [HighResolution] carry "StorageResolution":1. Properties set with
// [Set.SetProperty], and the invocation's requestId, are top-level members
// that are not metrics: searchable in Logs Insights at no metric cost.
//
// # Empty sets
//
// An invocation that added no metric writes no document: CloudWatch would
// reject one without metrics. Whether that is worth a word is a choice made
// once, on the Recorder ([Options].Empty): [EmptyIgnore] (the default) says
// nothing, [EmptyWarn] logs a warning, as Powertools does, and [EmptyError]
// makes [Set.Flush] return [ErrNoMetrics].
//
// # Cold start
//
// On the first invocation of a process (not counting environments that
// Lambda initialised for provisioned concurrency) the Set emits ColdStart=1
// (Count) in a separate document whose dimensions are the Recorder's default
// dimensions and function_name, so cold starts can be graphed per function
// without multiplying the other metrics.
//
// See https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics
