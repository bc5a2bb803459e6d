// Package layers has no code: its test holds the module to its import
// rules, so that data flows one way and the graph stays easy to see.
//
//   - The media domain is at the bottom (media/deps_test.go): package media
//     links only the standard library, aws-lambda-go's event structs,
//     internal/s3seq and internal/s3event; a record backend links the domain and the SQLite
//     opener, never the image pipeline, blob, batch or idempotency.
//   - The local runtime is at the top (devserver/deps_test.go): only
//     cmd/rampart and devserver/devservertest import devserver.
//   - SQLite is opened in one place: only internal/sqlitedb imports the
//     driver or calls sql.Open (tests included).
//   - No backend imports another family's backend: a package under blob/,
//     idempotency/, media/, gateway/ or queue/ imports another of those
//     trees only through its root package (the interface and its types).
//   - The read models (inspect/...) read every store through its owner's
//     package: none imports database/sql, internal/sqlitedb or the driver.
//   - The front ends (mcpserver, dashboard) read through [inspect.Source]:
//     they import no backend of any family, no read-model backend and no
//     runtime.
//   - The toolkit (batch, idempotency and its stores, logging, metrics,
//     middleware, lambdatest) links nothing of the module but itself and
//     internal/ packages, and gateway links only the standard library (it
//     compiles to WebAssembly for Workers).
//   - No package imports unsafe.
//
// Run them with go test ./internal/layers ./media ./devserver.
package layers
