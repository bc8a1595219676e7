// An SPA's Apollo Client 4 (pinned in package.json) against a running gateway, as the
// web app wires it: persisted queries, a bearer token, and a refresh on UNAUTHENTICATED
// by the client's own error link.
// Usage: node apollo_client.mjs http://127.0.0.1:PORT SIGNING_KEY_HEX
// SIGNING_KEY_HEX is the test configuration's token signing key: with it the script
// makes an access token that has expired, as one does after 15 minutes.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';

import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  gql,
} from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { from, switchMap } from 'rxjs';

const [base, signingKeyHex] = process.argv.slice(2);
if (!base || !signingKeyHex) {
  console.error('usage: node apollo_client.mjs GATEWAY_URL SIGNING_KEY_HEX');
  process.exit(2);
}
const PHONE = '+8613800138000'; // the demo individual of `seed --demo`

const session = { accessToken: null, refreshToken: null, refreshes: 0 };
const requests = []; // what went over the wire: body kind, status, content type

async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  const body = JSON.parse(init.body ?? '{}');
  requests.push({
    operationName: body.operationName,
    withQuery: typeof body.query === 'string',
    persisted: Boolean(body.extensions?.persistedQuery),
    status: response.status,
    contentType: response.headers.get('content-type'),
  });
  return response;
}

// The refresh an SPA does when the gateway says UNAUTHENTICATED: its own plain request,
// outside the link chain, with the refresh token.
async function refresh() {
  session.refreshes += 1;
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({
      query: `mutation Refresh($input: RefreshSessionInput!) {
        refreshSession(input: $input) { accessToken refreshToken userErrors { code } }
      }`,
      variables: { input: { refreshToken: session.refreshToken } },
    }),
  });
  const { data } = await response.json();
  assert.deepEqual(data.refreshSession.userErrors, []);
  session.accessToken = data.refreshSession.accessToken;
  session.refreshToken = data.refreshSession.refreshToken;
}

const errorLink = new ErrorLink(({ error, operation, forward }) => {
  const unauthenticated =
    CombinedGraphQLErrors.is(error) &&
    error.errors.some((each) => each.extensions?.code === 'UNAUTHENTICATED');
  if (unauthenticated && session.refreshToken && !operation.getContext().retried) {
    operation.setContext({ retried: true });
    return from(refresh()).pipe(switchMap(() => forward(operation)));
  }
  return undefined;
});
const authLink = new SetContextLink((prevContext) => ({
  headers: {
    ...prevContext.headers,
    ...(session.accessToken ? { authorization: `Bearer ${session.accessToken}` } : {}),
  },
}));
const persistedLink = new PersistedQueryLink({
  sha256: (text) => createHash('sha256').update(text).digest('hex'),
});
const httpLink = new HttpLink({ uri: `${base}/graphql`, fetch: recordingFetch });

const client = new ApolloClient({
  link: ApolloLink.from([errorLink, authLink, persistedLink, httpLink]),
  cache: new InMemoryCache(),
});

// 1. Sign in by SMS: ask for a code, read it from the development outbox, sign in.
const REQUEST_CODE = gql`
  mutation RequestCode($input: RequestSmsCodeInput!) {
    requestSmsCode(input: $input) { sent userErrors { code message } }
  }
`;
const LOGIN = gql`
  mutation Login($input: LoginWithSmsInput!) {
    loginWithSms(input: $input) {
      accessToken
      refreshToken
      account { id displayName }
      userErrors { code message }
    }
  }
`;
const requested = await client.mutate({
  mutation: REQUEST_CODE,
  variables: { input: { phone: PHONE, purpose: 'LOGIN' } },
});
assert.equal(requested.data.requestSmsCode.sent, true);
const outbox = await (await fetch(`${base}/dev/outbox?to=${encodeURIComponent(PHONE)}`)).json();
assert.equal(outbox[0].purpose, 'LOGIN');
const login = await client.mutate({
  mutation: LOGIN,
  variables: { input: { phone: PHONE, code: outbox[0].code } },
});
assert.deepEqual(login.data.loginWithSms.userErrors, []);
session.accessToken = login.data.loginWithSms.accessToken;
session.refreshToken = login.data.loginWithSms.refreshToken;
const accountId = login.data.loginWithSms.account.id;
assert.equal(login.data.loginWithSms.account.displayName, 'Demo Individual');

// Persisted queries: the first request of each operation sent its hash alone, got
// PERSISTED_QUERY_NOT_FOUND, and the link sent it again with the query.
const firstTries = requests.filter((each) => each.operationName === 'RequestCode');
assert.deepEqual(
  firstTries.map((each) => [each.persisted, each.withQuery, each.status]),
  [
    [true, false, 200],
    [true, true, 200],
  ],
);
assert.ok(firstTries.every((each) => each.contentType === 'application/graphql-response+json'));

// 2. The SPA's home query.
const HOME = gql`
  query Home {
    viewer {
      account {
        id
        displayName
        ... on IndividualAccount {
          phone
          profile { bio industry needs }
          security { hasPassword phoneBound emailBound }
          verifications { realName { status realName idNumber } student { status } }
          bankCards { id bankName last4 cardNumber cardType }
          consents { purpose granted separate }
        }
      }
    }
  }
`;
const home = await client.query({ query: HOME });
const account = home.data.viewer.account;
assert.equal(account.__typename, 'IndividualAccount');
assert.equal(account.id, accountId);
assert.equal(account.phone, '138****8000'); // masked for its owner too, unless revealed
assert.ok(account.bankCards.every((card) => /^\*+\d{4}$/.test(card.cardNumber)));
assert.equal(account.security.phoneBound, true);
assert.equal(account.verifications.realName.status, 'VERIFIED');
assert.ok(account.bankCards.length >= 1);
assert.ok(account.bankCards.every((card) => card.__typename === 'BankCard' && card.id));
assert.ok(account.consents.length >= 1);

// The cache normalises objects by __typename and id: one entry for the account, one
// for each card, referenced from the viewer.
const cached = client.cache.extract();
const accountKey = `IndividualAccount:${accountId}`;
assert.ok(cached[accountKey], `no ${accountKey} in the cache`);
for (const card of account.bankCards) {
  assert.ok(cached[`BankCard:${card.id}`], `no BankCard:${card.id} in the cache`);
}
assert.deepEqual(cached.ROOT_QUERY.viewer.account, { __ref: accountKey });

// 3. A mutation whose answer updates the cached account, with no refetch.
const UPDATE = gql`
  mutation Rename($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      account { id displayName }
      userErrors { code message }
    }
  }
`;
const renamed = await client.mutate({
  mutation: UPDATE,
  variables: { input: { displayName: 'Apollo Client' } },
});
assert.deepEqual(renamed.data.updateProfile.userErrors, []);
const homeAfter = client.readQuery({ query: HOME });
assert.equal(homeAfter.viewer.account.displayName, 'Apollo Client');

// 4. A step-up refusal: revealing the phone needs a recent step-up.
const REVEAL = gql`
  query Reveal {
    viewer { account { id ... on IndividualAccount { phone(reveal: true) } } }
  }
`;
const revealed = await client.query({ query: REVEAL, errorPolicy: 'all' });
assert.ok(CombinedGraphQLErrors.is(revealed.error));
assert.deepEqual(
  revealed.error.errors.map((each) => [each.extensions.code, each.path.join('.')]),
  [['STEP_UP_REQUIRED', 'viewer.account.phone']],
);
assert.equal(revealed.data.viewer.account.phone, null);

// 5. An expired access token: the gateway answers 401 in application/graphql-response+json,
// Apollo Client reads its UNAUTHENTICATED, the error link refreshes and retries.
function expired(token) {
  const [header, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.iat -= 3600;
  claims.exp = Math.floor(Date.now() / 1000) - 60;
  const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = createHmac('sha256', Buffer.from(signingKeyHex, 'hex'))
    .update(body)
    .digest('base64url');
  return `${body}.${signature}`;
}
session.accessToken = expired(session.accessToken);
const ME = gql`
  query Me {
    viewer { account { id displayName } }
  }
`;
const me = await client.query({ query: ME, fetchPolicy: 'network-only' });
assert.equal(me.data.viewer.account.id, accountId);
assert.equal(session.refreshes, 1);
// The token is checked before the document is looked up: the 401 comes first, then the
// retry meets the persisted-query exchange of a new operation.
const meRequests = requests.filter((each) => each.operationName === 'Me');
assert.deepEqual(
  meRequests.map((each) => [each.status, each.withQuery]),
  [
    [401, false],
    [200, false],
    [200, true],
  ],
);
assert.ok(meRequests.every((each) => each.contentType === 'application/graphql-response+json'));

console.log('apollo client: all checks passed');
