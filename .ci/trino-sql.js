#!/usr/bin/env node
// Runs one SQL statement against Trino's HTTP protocol (no client library: CI needs it before
// npm packages matter) and prints each row as a JSON line; exits 1 with Trino's message on error.
//   node .ci/trino-sql.js http://127.0.0.1:8080 "SELECT 1"
'use strict';

async function main() {
  const [url, sql] = process.argv.slice(2);
  if (!url || !sql) throw new Error('usage: trino-sql.js <url> <sql>');
  const headers = { 'X-Trino-User': 'lomas-ci' };
  let response = await fetch(`${url}/v1/statement`, { method: 'POST', headers, body: sql });
  for (;;) {
    if (!response.ok) throw new Error(`HTTP ${response.status} from Trino`);
    const page = await response.json();
    if (page.error) throw new Error(page.error.message);
    for (const row of page.data ?? []) console.log(JSON.stringify(row));
    if (!page.nextUri) return;
    response = await fetch(page.nextUri, { headers });
  }
}

main().catch(e => {
  console.error(e.message);
  process.exit(1);
});
