package sqlitestore

// Statements returns the number of SQL statements the store has run: its
// round trips to the database engine.
func (s *Store) Statements() int64 { return s.statements.Load() }
