// Package aws holds the AWS deployment of the media service, in two
// equivalent forms: template.yaml (AWS SAM) and serverless.yml (Serverless
// Framework v4). Their tests parse both and check them against the code:
// handlers and artefacts, environment variables (media.ThumbnailerEnv),
// tables and keys, queues and the redrive policy, the notification filter
// (no recursion), and least-privilege permissions.
//
// Build the artefacts with `make lambda` (dist/thumbnailer.zip and
// dist/health.zip), then deploy with `sam deploy --guided` or
// `serverless deploy --stage prod`.
package aws
