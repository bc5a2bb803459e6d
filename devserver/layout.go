package devserver

// The layout of a data folder, relative to its root. Other tools (the
// inspection read model) open the same files.
const (
	// ObjectsDir holds the bucket (fsblob).
	ObjectsDir = "objects"
	// MediaDB is the media records' SQLite database (sqliterecords).
	MediaDB = "media.db"
	// IdempotencyDB is the idempotency records' SQLite database
	// (sqlitestore).
	IdempotencyDB = "idempotency.db"
	// QueueDB is the event queue and its dead letters (queue).
	QueueDB = "queue.db"
	// JournalDir holds the intents of writes in progress (see the package
	// documentation, "Crash safety").
	JournalDir = "journal"
	// LogFile is the JSON log file "rampart dev" writes beside stdout,
	// size-capped with one rotated generation (LogFile + ".1").
	LogFile = "logs/rampart.jsonl"
)
