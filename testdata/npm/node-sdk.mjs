// Drives an Appwrite-compatible server with the official Node SDK
// (node-appwrite) and prints one JSON object: each step's result, or
// {"error": {type, code}} when the SDK raised an AppwriteException.
//
// Usage: APPWRITE_ENDPOINT=http://127.0.0.1:8090/v1 APPWRITE_PROJECT=p \
//        APPWRITE_API_KEY=key node node-sdk.mjs
// The endpoint, project and key may also be given as the three arguments.
import { Account, AppwriteException, Client, ID, Query, Users } from 'node-appwrite';

const [argEndpoint, argProject, argKey] = process.argv.slice(2);
const endpoint = argEndpoint ?? process.env.APPWRITE_ENDPOINT;
const project = argProject ?? process.env.APPWRITE_PROJECT;
const apiKey = argKey ?? process.env.APPWRITE_API_KEY;
if (!endpoint || !project || !apiKey) {
  console.error('set APPWRITE_ENDPOINT, APPWRITE_PROJECT and APPWRITE_API_KEY, or pass them as arguments');
  process.exit(2);
}

const client = () => new Client().setEndpoint(endpoint).setProject(project);
const users = new Users(client().setKey(apiKey));
const results = {};

// step runs one SDK call and records its summary or its error type. Errors
// other than AppwriteException (network, bugs) end the script.
async function step(name, call) {
  try {
    results[name] = await call();
  } catch (err) {
    if (!(err instanceof AppwriteException)) {
      throw err;
    }
    results[name] = { error: { type: err.type, code: err.code } };
  }
}

const userId = 'sdk-alice';

await step('create', async () => {
  const user = await users.create({ userId, email: 'Alice@Example.com', name: 'Alice' });
  return { id: user.$id, email: user.email, name: user.name, status: user.status, labels: user.labels };
});
await step('createUnique', async () => {
  const user = await users.create({ userId: ID.unique(), email: 'bob@example.com', name: 'Bob' });
  return { idLength: user.$id.length };
});
await step('createDuplicate', () => users.create({ userId, email: 'other@example.com' }));
await step('get', async () => {
  const user = await users.get({ userId });
  return { id: user.$id, emailVerification: user.emailVerification };
});
await step('getMissing', () => users.get({ userId: 'nobody' }));
await step('listByEmail', async () => {
  const list = await users.list({ queries: [Query.equal('email', 'alice@example.com')] });
  return { total: list.total, ids: list.users.map((u) => u.$id) };
});
await step('listPage', async () => {
  const list = await users.list({ queries: [Query.limit(1), Query.offset(1)] });
  return { total: list.total, ids: list.users.map((u) => u.$id) };
});
await step('search', async () => {
  const list = await users.list({ search: 'bob' });
  return { total: list.total, names: list.users.map((u) => u.name) };
});
await step('updateLabels', async () => {
  const user = await users.updateLabels({ userId, labels: ['admin', 'beta'] });
  return { labels: user.labels };
});
await step('updateLabelsInvalid', () => users.updateLabels({ userId, labels: ['not-valid'] }));
await step('createTokenInvalid', () => users.createToken({ userId, length: 1 }));

let tokenSecret = '';
await step('createToken', async () => {
  const token = await users.createToken({ userId, length: 64, expire: 60 });
  tokenSecret = token.secret;
  return { userId: token.userId, secretLength: token.secret.length, hex: /^[0-9a-f]+$/.test(token.secret) };
});
await step('createSessionWrongSecret', () => new Account(client()).createSession({ userId, secret: '000000' }));

// Server-side rendering: a key caller exchanges the token and receives the
// session secret, which a key-less client then sends as X-Appwrite-Session.
let sessionSecret = '';
await step('createSession', async () => {
  const session = await new Account(client().setKey(apiKey)).createSession({ userId, secret: tokenSecret });
  sessionSecret = session.secret;
  return { userId: session.userId, provider: session.provider, hasSecret: session.secret !== '' };
});
await step('createSessionUsedSecret', () => new Account(client()).createSession({ userId, secret: tokenSecret }));
const account = new Account(client().setSession(sessionSecret));
await step('accountGet', async () => {
  const me = await account.get();
  return { id: me.$id, email: me.email, labels: me.labels };
});
await step('updateStatus', async () => {
  const user = await users.updateStatus({ userId, status: false });
  return { status: user.status };
});
await step('accountGetBlocked', () => account.get());
await step('wrongKey', () => new Users(client().setKey('wrong-key')).list());

console.log(JSON.stringify(results));
