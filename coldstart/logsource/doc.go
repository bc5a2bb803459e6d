// Package logsource provides the log sources of the cold-start analysis
// ([coldstart.Source]): files (plain or gzip), standard input, and
// CloudWatch Logs through FilterLogEvents.
//
// Every source streams: lines are read as the analysis consumes them, so a
// log of any size is analysed in bounded memory.
package logsource
