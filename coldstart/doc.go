// Package coldstart measures AWS Lambda cold starts from the logs Lambda
// already writes, and prices provisioned concurrency (PC) options against a
// latency target.
//
//	rep, err := coldstart.Analyze(ctx, &logsource.Files{Paths: paths}, &coldstart.Options{
//		P99Target: time.Second,
//	})
//	coldstart.WriteText(os.Stdout, rep) // or WriteHTML, or json.Marshal(rep)
//
// # Input
//
// A [Source] yields the streams (files, stdin and CloudWatch Logs are in
// package logsource); each is read once, in bounded memory. The [Shape]
// of each stream, how it carries Lambda's lines, is detected from its
// first bytes ([DetectShape]) and named in [Input.Shapes]: Lambda's lines
// alone or behind a timestamp and a log stream name (CloudWatch's S3
// export, `aws logs tail`, `sam logs`, `serverless logs`, log shippers),
// CloudWatch console and Logs Insights CSV exports, and JSON holding log
// events (`aws logs filter-log-events`, `get-log-events`,
// `get-query-results`, console and Insights exports, subscription
// payloads). Timestamps come from wherever the shape carries them, and a
// log stream name, where there is one, is an execution environment.
//
// [ParseLine] reads the platform lines of both Lambda log formats: the text
// format (START, END, REPORT with its optional fields in any order and
// separated by tabs or spaces, INIT_START, INIT_REPORT, RESTORE_REPORT)
// and the JSON format (platform.start, platform.report, platform.initStart,
// platform.initReport, platform.restoreReport, every metric but a report's
// duration optional), and ignores application output. It matches fixed
// byte prefixes, scans JSON platform events in one pass and never
// allocates. Truncated or corrupt platform lines are counted in [Input]
// and never stop the analysis.
//
// # Analysis
//
// [Analyze] keeps each function, version and memory size apart and
// reports, in a JSON-serialisable [Report]: invocations; cold starts by kind
// (on-demand init, provisioned, SnapStart restore, init re-run inside an
// invocation); init and end-to-end latency percentiles for cold and warm
// invocations from log-bucket histograms ([Histogram], within 0.8%);
// cold-start rate and p99 by hour of day and weekday, and the [Hotspot]
// window where cold starts concentrate; concurrency over time
// reconstructed from START and REPORT; execution environments, from the
// log streams; what was billed.
//
// # Simulation and cost model
//
// The recommendation replays the observed arrivals against an explicit
// model of execution environments ([Model]: reuse of the most recently
// used idle environment, idle expiry, optional maximum lifetime,
// provisioned environments first). AWS does not publish its keep-alive
// policy, so by default the idle timeout is calibrated: the one that
// reproduces the observed cold starts is used. The simulator is validated
// against analytical results in its tests (P(cold) = e^{-λT} for one
// environment under Poisson arrivals; Erlang B for provisioned
// concurrency).
//
// Each option (no PC, always-on PC of k environments, PC scheduled in the
// hotspot window, possibly on top of a small always-on base) is priced per
// month from a [PriceTable] (list prices by region and architecture, tiered
// on-demand duration, requests, PC allocation billed in 5-minute
// increments, PC duration, and INIT billing for on-demand functions from
// 1 August 2025), which can be loaded from a JSON file. The [Plan]
// recommends the cheapest option whose p99 latency meets the target in
// every hour of the day, and explains the break-even utilisation of PC
// (about 60% at list prices).
//
// # Output
//
// [WriteText] writes a terminal summary; [WriteHTML] a self-contained HTML
// page with inline SVG charts (latency cold vs warm, cold starts and p99 by
// hour, concurrency, cost against PC level) and no script. [Generate]
// writes realistic synthetic logs (diurnal traffic with a weekday morning
// spike, mixed formats, truncated lines) for tests and benchmarks.
package coldstart
