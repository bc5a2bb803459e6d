// Package dashboard is the web dashboard over the inspection read model
// (package inspect): server-rendered HTML from templates embedded in the
// binary, a few lines of CSS, no framework and no external resources.
// "rampart dev" mounts it under /ui/.
//
// # Pages
//
//	/ui/                  media: a grid of thumbnails with status, newest first; it refreshes
//	                      itself every 1.5 s from /ui/fragment/grid as events are processed
//	/ui/media/{id}        one record: every size, its source, its request's log lines
//	/ui/idempotency       idempotency records (in progress, completed, stuck)
//	/ui/queue             the queue and dead-letter queue, with a redrive button when writes are allowed; over a
//	                      source that is no [inspect.DeadLetterLister] (AWS), the counts and why the letters are not listed
//	/ui/coldstart         the cold-start analyzer's charts over the backend's Lambda logs
//	/ui/objects/{key}     object bytes, for the thumbnails
//
// The redrive form is accepted only with [Options].AllowWrites, a source
// that implements [inspect.Writer], and a same-origin (or non-browser)
// request, as package inspect/writegate decides.
//
// # Safety
//
// Like everything on loopback, the dashboard is reachable from any page the
// user opens. A request whose Host is not one of the listener's own names
// (or [Options].AllowedHosts) is refused with 403, against DNS rebinding;
// pages send frame-ancestors 'none' (and X-Frame-Options), so no other site
// can frame the redrive button; objects are served with nosniff, a
// sandboxing Content-Security-Policy and, except for raster images,
// Content-Disposition: attachment, so an uploaded page never runs here.
package dashboard
