// Package fsblob is a [blob.Store] that keeps objects in a folder on the
// local filesystem. It is the object store of `rampart dev`.
//
// # Layout
//
// A key's segments (split at "/") become folders and a file name under the
// root. Each segment is encoded so that every valid key is safe on disk and
// distinct even on a case-insensitive filesystem: letters, digits, "-", "_"
// and "." (except leading) stay as they are, an upper-case letter X becomes
// "^x", and every other byte becomes %xx (lower-case hex). An empty segment (as in "a//b" or
// "dir/") is "%", and a segment longer than 200 encoded bytes is split into
// folders whose names end in "+". So "Photos/2024/my cat.jpg" is stored as
//
//	^photos/2024/my%20cat.jpg~m        the metadata sidecar (JSON)
//	^photos/2024/my%20cat.jpg~d<ver>   the body of version <ver>
//
// Names starting with "." are temporary files; nothing else is ever
// written under the root.
//
// # Writes
//
// Put (and PutReader, which streams the body from an io.Reader through a
// 64 KiB buffer, so memory does not grow with the object) writes the body
// to a temporary file beside the object's files, syncs it and renames it to
// a file named after the new version; then it does the same for the sidecar,
// whose rename is the commit point, and removes the previous version's
// body. A reader therefore sees the old object or the new one, never a mix,
// and a crash at any point leaves the previous or the new object. (A crash
// between the two renames can leave an unreferenced body file behind, and
// one during a write its temporary file; neither is ever read, and Sweep
// removes both.) Open streams a body out. Writes of one key are serialized within the process; reads
// take no lock. Several processes may share a root: each write is still
// atomic and the last one wins, though racing writers can leave
// unreferenced body files behind.
//
// # Versions
//
// VersionID is a 16-digit hexadecimal number that increases with every Put
// to the Store; it derives from the clock, so it also increases across
// restarts as long as the clock does not go back.
//
// # Listing
//
// List walks the folder of the prefix's directory part and sorts what it
// finds, so a page costs time proportional to the number of objects under
// that folder: fine for a development store, not for millions of objects.
// Empty folders left by Delete are not removed.
package fsblob
