// interop.mjs drives Powertools for AWS Lambda (TypeScript) idempotency
// against a DynamoDB table, for dynamostore's interop test:
//
//   node interop.mjs COMMAND TABLE EVENT_JSON [ARG]
//
// with the endpoint in RAMPART_TEST_DYNAMODB. Every command prints one JSON
// object on stdout. The event is hashed whole (no JMESPath) under the key
// prefix "interop", with payload validation off (Powertools' hash of its
// own serialisation cannot match Rampart's).
//
//   key         the record key Powertools uses for EVENT
//   invoke      run a makeIdempotent handler on EVENT with ARG ms left in the
//               invocation: {"ran": bool, "result": ...} or {"error": name}
//   inprogress  saveInProgress(EVENT, ARG ms): what Powertools writes first
//   success     saveSuccess(EVENT, ARG as JSON): Powertools' completion, an
//               unconditional UpdateItem
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';

const [command, table, eventJSON, arg] = process.argv.slice(2);
const event = JSON.parse(eventJSON);
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

const out = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);

switch (command) {
  case 'key':
    out({ key: persistenceStore.getHashedIdempotencyKey(event) });
    break;
  case 'invoke': {
    let ran = false;
    const handler = makeIdempotent(
      async (ev) => {
        ran = true;
        return { handledBy: 'powertools', order: ev.order, items: [1, 2], ok: true };
      },
      { persistenceStore, config, keyPrefix }
    );
    const remaining = Number(arg ?? 30000);
    const context = { getRemainingTimeInMillis: () => remaining, functionName: 'interop', awsRequestId: 'req-1' };
    try {
      const result = await handler(event, context);
      out({ ran, result });
    } catch (err) {
      out({ ran, error: err.name, message: err.message });
    }
    break;
  }
  case 'inprogress':
    await persistenceStore.saveInProgress(event, Number(arg));
    out({ ok: true });
    break;
  case 'success':
    await persistenceStore.saveSuccess(event, JSON.parse(arg));
    out({ ok: true });
    break;
  default:
    throw new Error(`unknown command ${command}`);
}
