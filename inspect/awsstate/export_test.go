package awsstate

// SetScanBounds lowers the bounds of a media listing's Scans.
func (s *Source) SetScanBounds(batch, reads int) { s.scanBatch, s.scanReads = batch, reads }
