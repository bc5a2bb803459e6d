// interop.mjs drives Powertools for AWS Lambda (TypeScript) idempotency
// against a DynamoDB table, for dynamostore's interop test:
//
//   node interop.mjs TABLE
//
// with the endpoint in RAMPART_TEST_DYNAMODB. It reads one JSON command per
// line on stdin, {"cmd": ..., "event": {...}, "arg": "..."}, and answers each
// with one JSON object per line on stdout, so one Node process (and one SDK
// load) serves the whole test. The event is hashed whole (no JMESPath)
// under the key prefix "interop", with payload validation off (Powertools'
// hash of its own serialisation cannot match Rampart's).
//
//   key         the record key Powertools uses for event
//   invoke      run a makeIdempotent handler on event with arg ms left in the
//               invocation: {"ran": bool, "result": ...} or {"error": name}
//   inprogress  saveInProgress(event, arg ms): what Powertools writes first
//   success     saveSuccess(event, arg as JSON): Powertools' completion, an
//               unconditional UpdateItem
//   delete      deleteRecord(event): what Powertools does when its handler
//               fails, an unconditional DeleteItem
import { createInterface } from 'node:readline';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';

const [table] = process.argv.slice(2);
const endpoint = process.env.RAMPART_TEST_DYNAMODB;
if (!endpoint) throw new Error('RAMPART_TEST_DYNAMODB is not set');

const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: table,
  clientConfig: {
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  },
});
const config = new IdempotencyConfig({});
const keyPrefix = 'interop';
persistenceStore.configure({ config, keyPrefix });

async function run({ cmd, event, arg }) {
  switch (cmd) {
    case 'key':
      return { key: persistenceStore.getHashedIdempotencyKey(event) };
    case 'invoke': {
      let ran = false;
      const handler = makeIdempotent(
        async (ev) => {
          ran = true;
          return { handledBy: 'powertools', order: ev.order, items: [1, 2], ok: true };
        },
        { persistenceStore, config, keyPrefix }
      );
      const remaining = Number(arg || 30000);
      const context = { getRemainingTimeInMillis: () => remaining, functionName: 'interop', awsRequestId: 'req-1' };
      try {
        const result = await handler(event, context);
        return { ran, result };
      } catch (err) {
        return { ran, error: err.name, message: err.message };
      }
    }
    case 'inprogress':
      await persistenceStore.saveInProgress(event, Number(arg));
      return { ok: true };
    case 'success':
      await persistenceStore.saveSuccess(event, JSON.parse(arg));
      return { ok: true };
    case 'delete':
      await persistenceStore.deleteRecord(event);
      return { ok: true };
    default:
      return { error: 'UnknownCommand', message: `unknown command ${cmd}` };
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    answer = await run(JSON.parse(line));
  } catch (err) {
    answer = { error: err.name, message: err.message };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
