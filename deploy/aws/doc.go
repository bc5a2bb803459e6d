// Package aws holds the AWS deployment of the media service, in two
// equivalent forms, template.yaml (AWS SAM, with samconfig.toml) and
// serverless.yml (Serverless Framework v4), and github-oidc.yaml, the
// account set-up of the deploy pipeline (.github/workflows): GitHub's OIDC
// provider and least-privilege deploy roles.
//
// Deploy with `make lambda` (dist/thumbnailer.zip, dist/health.zip), then,
// in this folder, `sam deploy --config-env dev` (or prod: stacks
// rampart-media-dev and rampart-media-prod in eu-central-1), or
// `serverless deploy --stage prod`.
//
// The tests check the templates as AWS receives them: the SAM template
// after cfn-lint's transforms (the SAM translator, where managed policies
// appear), serverless.yml rendered for each stage. Every template passes
// cfn-lint with no finding at all; every role grants exactly
// [ThumbnailerGrants] or [HealthGrants], nothing on "*", no managed policy;
// prod keeps its data (DeletionPolicy and UpdateReplacePolicy Retain);
// the queue's visibility timeout is at least six times the function's
// timeout; the environment is what the code reads; the outputs are those
// `rampart mcp --aws --stack` reads.
package aws
