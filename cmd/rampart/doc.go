// Command rampart is the command-line entry point of Rampart: the local
// runtime, a demonstration, the API gateway and the operator tools.
//
//	rampart dev [flags]                        run the media service on this machine (package devserver)
//	rampart mcp [flags]                        serve MCP over a dev data folder, or a deployment with --aws
//	rampart demo [flags]                       show the idempotency engine under duplicate, failed and crashed deliveries
//	rampart gateway [flags]                    serve the API gateway on 127.0.0.1
//	rampart gateway check|bench|origin         check a wrangler.toml, benchmark the gateway, serve the bench's origin
//	rampart tokens create|list|revoke|export   manage the gateway's tokens
//	rampart coldstart analyze|generate|prices  cold-start triage over Lambda logs
//	rampart vet [flags] [PACKAGES]             check handlers and deployment files (package vet)
//	rampart version                            print the version stamped at build time
//
// Each command prints its usage and flags with -h. Flags may come before,
// between or after the positional arguments (rampart tokens revoke ID --db
// FILE); "--" ends them. A mistake on the command line exits with status 2,
// findings of vet and gateway check with status 3, any other failure with
// status 1.
//
// Each command lives in its own file as a run function over its arguments,
// standard output and standard error; commands in main.go lists them, and
// flags.go holds the one flag-parsing helper they share.
package main
