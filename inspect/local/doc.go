// Package local is the [inspect.Source] over the data folder of
// "rampart dev" (its layout is package internal/datadir): media records and
// idempotency records in SQLite, the filesystem bucket, the SQLite queue and
// its dead letters, the JSON log file and the gateway's tokens. It
// implements every optional capability: [inspect.DeadLetterLister],
// [inspect.TokenLister] and [inspect.Writer].
//
// The read model may run in another process than the server (rampart mcp)
// or in the same one (the dashboard): SQLite in WAL mode lets readers run
// beside the writer. It reads every store through its owner's package and
// never queries another package's tables: media records through
// media/sqliterecords (whose newest-first listing, with its indexes, is
// what Media pages through, so the whole listing is [inspect.NewestFirst]),
// idempotency records through idempotency/sqlitestore, the queue through
// package queue.
//
// # Logs
//
// [LogFile] is the size-capped, rotating writer "rampart dev" writes its JSON
// logs to; [QueryLogFile] searches the file and its rotated generation with
// a cheap byte prefilter before parsing a line.
package local
