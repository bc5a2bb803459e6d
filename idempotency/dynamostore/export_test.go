package dynamostore

// SetMaxItemSize replaces the item size limit the store checks before
// writing, so tests can reach the server's own check.
func SetMaxItemSize(s *Store, n int) { s.maxItemSize, s.maxResult = n, n }
