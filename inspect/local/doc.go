// Package local is the [inspect.Source] over the data folder of
// "rampart dev" (see package devserver for its layout): media records and
// idempotency records in SQLite, the filesystem bucket, the SQLite queue and
// its dead letters, and the JSON log file.
//
// The read model may run in another process than the server (rampart mcp)
// or in the same one (the dashboard): SQLite in WAL mode lets readers run
// beside the writer. On open it adds three indexes to the media table, on
// (update time, id), (status, update time, id) and the object key, so that
// listing newest first with a status and time range reads only the page it
// returns, and a key prefix reads only the keys under it.
//
// # Logs
//
// [LogFile] is the size-capped, rotating writer "rampart dev" writes its JSON
// logs to; [QueryLogFile] searches the file and its rotated generation with
// a cheap byte prefilter before parsing a line.
package local
