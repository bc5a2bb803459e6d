"""A cfn-lint rule that reports nothing: it writes the template cfn-lint
checks, after its transforms (AWS::LanguageExtensions, then the SAM
translator with cfn-lint's local copy of the managed policies), as JSON to
<template's base name>.json in the folder named by RAMPART_CFN_DUMP. deploy_test.go loads it with
`cfn-lint --append-rules testdata/cfnlint` to check the template AWS deploys,
not the one we write."""

import json
import os

from cfnlint.rules import CloudFormationLintRule


class DumpTransformed(CloudFormationLintRule):
    id = "E9901"
    shortdesc = "Write the transformed template for the Go tests"
    description = "Writes the transformed template into $RAMPART_CFN_DUMP; never reports a match"
    source_url = "https://github.com/rampartdev/rampart/tree/main/deploy/aws"
    tags = ["rampart"]

    def match(self, cfn):
        folder = os.environ.get("RAMPART_CFN_DUMP")
        if folder:
            path = os.path.join(folder, os.path.basename(cfn.filename) + ".json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(cfn.template, f, default=str, indent=1)
        return []
