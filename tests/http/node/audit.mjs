// The GraphQL-over-HTTP audit (graphql-http, pinned in package.json) against a running
// gateway: every check, MUST, SHOULD and MAY, must pass.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs GRAPHQL_URL');
  process.exit(2);
}
const results = await auditServer({ url });
const failures = results.filter((result) => result.status !== 'ok');
for (const result of failures) {
  const status = result.response ? ` (HTTP ${result.response.status})` : '';
  console.log(`${result.status} ${result.id} ${result.name}: ${result.reason}${status}`);
}
console.log(`${results.length} audits, ${failures.length} not passed`);
process.exit(failures.length === 0 ? 0 : 1);
