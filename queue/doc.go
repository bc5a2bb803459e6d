// Package queue is a local, durable, at-least-once message queue with the
// semantics of Amazon SQS standard queues, kept in one SQLite file
// (modernc.org/sqlite, pure Go). It is the event queue of `rampart dev`,
// standing in for SQS between the upload and the thumbnailer.
//
// # Delivery
//
// [Queue.Send] stores a message and makes it visible at once. [Queue.Receive]
// atomically claims up to max visible messages: each claimed message becomes
// invisible for the visibility timeout, its receive count goes up by one, and
// it gets a fresh receipt handle. The consumer then either
//
//   - deletes it with [Queue.Delete] once it is processed;
//   - gives up on it with [Queue.Fail], recording why, so it is delivered
//     again after a delay (or at once);
//   - extends or shortens its invisibility with [Queue.ChangeVisibility]; or
//   - does nothing (it crashed): the message becomes visible again when the
//     visibility timeout ends, including after the process restarts.
//
// A receipt handle is valid until the message is received again. Delete,
// Fail and ChangeVisibility with an older handle return an error matching
// [ErrStaleReceipt] and leave the message alone, so a slow consumer cannot
// delete a copy another consumer is working on. Deleting a message that is
// already gone succeeds, as in SQS.
//
// # Dead letters
//
// A message received [Options.MaxReceiveCount] times without being deleted is
// moved to the dead-letter table the next time it would be received, with
// the reason and the last error given to Fail. [Queue.DeadLetters] lists them
// page by page and [Queue.Redrive] moves them back to the queue with a fresh
// receive count.
//
// # Waiting
//
// Receive with a positive wait long-polls: it returns as soon as a message is
// visible, or empty-handed after wait. A Send, Fail or Redrive on the same
// *Queue wakes waiting receivers at once; messages sent by another process
// sharing the file are found by polling with backoff (at most
// [MaxPollInterval] apart), and messages whose visibility timeout ends are
// picked up when it ends.
//
// # Time
//
// Visibility, SentAt and dead-letter times come from [Options.Now], so tests
// can move time forward. Receive's wait is measured on the real clock.
//
// # Storage
//
// One SQLite file in WAL mode with a busy timeout; several processes may open
// it. Every state change is one transaction, so a crash at any point leaves
// each message either queued, in flight (and redelivered after its timeout)
// or dead-lettered, never lost or duplicated in storage.
package queue
