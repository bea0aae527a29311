// The seven audit-action checks of tests/bench/checks.sql done the way a
// data-savvy analyst would do them with DuckDB, end to end, as the bench's
// anchor (issue 15). For the benchmark only: DuckDB comes from the npm
// registry (@duckdb/node-api, installed by tests/bench/duckdb_setup.sh into
// out/bench-node/) and is never a dependency of assure.
//
//   node tests/bench/duckdb_checks.mjs actions.csv 2022-10-03 out.csv THREADS [DBFILE]
//
// 1. load: the CSV (tests/bench/gen_standard_actions.awk's columns) into a
//    typed, constrained table, typed as mappings/standard/datasets.yaml types
//    dataset audit_actions: DATE columns, INTEGER extensions, PRIMARY KEY
//    action_id, NOT NULL area and description, CHECK on priority and status.
//    DBFILE: a database file (which must not exist yet), as assure keeps its
//    data; without it, an in-memory database.
// 2. check: the seven rules' conditions, worded as the rules word them, into
//    one exception list written as CSV (rule, subject, message, owner),
//    sorted by rule and subject.
// Prints "rule count" for each of the seven rules on stdout, and the phase
// times on stderr: "duckdb: version V threads N load S check S".
// DUCKDB_NODE_DIR: where @duckdb/node-api is installed (default out/bench-node
// of this checkout).
import { createRequire } from 'node:module';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const usage = 'usage: duckdb_checks.mjs CSV AS_OF OUT.csv THREADS [DBFILE]';
const [src, asOf, out, threads, dbFile] = process.argv.slice(2);
if (!src || !asOf || !out || !threads) {
  console.error(usage);
  process.exit(64);
}
// as_of is written into the SQL as a literal (COPY takes no parameters), so
// it must be a date and nothing else; file names are quoted the same way.
if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || !/^[12]$/.test(threads)) {
  console.error(usage + ' (AS_OF as YYYY-MM-DD, THREADS 1 or 2)');
  process.exit(64);
}
const lit = (s) => "'" + s.replaceAll("'", "''") + "'";

const nodeDir = process.env.DUCKDB_NODE_DIR || resolve(here, '../../out/bench-node');
let duckdb;
try {
  duckdb = createRequire(join(nodeDir, 'package.json'))('@duckdb/node-api');
} catch (e) {
  console.error(`duckdb_checks: no @duckdb/node-api in ${nodeDir} (run tests/bench/duckdb_setup.sh)`);
  process.exit(77);
}
if (dbFile && existsSync(dbFile)) {
  console.error(`duckdb_checks: ${dbFile} exists already`);
  process.exit(73);
}

// The columns of the CSV, in order, with the standard model's names and types.
const columns = [
  ['Action ID', 'action_id', 'VARCHAR'],
  ['Engagement ID', 'engagement_id', 'VARCHAR'],
  ['Area', 'area', 'VARCHAR'],
  ['Description', 'description', 'VARCHAR'],
  ['Owner', 'owner', 'VARCHAR'],
  ['Priority', 'priority', 'VARCHAR'],
  ['Agreed on', 'agreed_on', 'DATE'],
  ['Original due', 'original_due', 'DATE'],
  ['Current due', 'current_due', 'DATE'],
  ['Extensions', 'extensions', 'INTEGER'],
  ['Status', 'status', 'VARCHAR'],
  ['Implemented on', 'implemented_on', 'DATE'],
  ['Verified on', 'verified_on', 'DATE'],
  ['Risk accepted by', 'risk_accepted_by', 'VARCHAR'],
];
// The header must be the one expected: columns are read by position.
{
  const fd = openSync(src, 'r');
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const header = buf.subarray(0, n).toString().split(/\r?\n/)[0].replace(/^\uFEFF/, '');
  const want = columns.map((c) => c[0]).join(',');
  if (header !== want) {
    console.error(`duckdb_checks: ${src}:1: header is not\n  ${want}`);
    process.exit(65);
  }
}

const ddl = `CREATE TABLE audit_actions (
  action_id VARCHAR PRIMARY KEY,
  engagement_id VARCHAR,
  area VARCHAR NOT NULL,
  description VARCHAR NOT NULL,
  owner VARCHAR,
  priority VARCHAR CHECK (priority IN ('high', 'medium', 'low')),
  agreed_on DATE,
  original_due DATE,
  current_due DATE,
  extensions INTEGER,
  status VARCHAR CHECK (status IN ('not started', 'in progress',
    'implemented awaiting verification', 'complete', 'verified closed', 'superseded',
    'risk accepted')),
  implemented_on DATE,
  verified_on DATE,
  risk_accepted_by VARCHAR)`;
const readCsv = `read_csv(${lit(src)}, header = true, auto_detect = false, dateformat = '%Y-%m-%d',
  columns = {${columns.map((c) => `${lit(c[1])}: ${lit(c[2])}`).join(', ')}})`;

// The seven rules (rules/<id>.lua): their conditions and their wording.
// open and due are the model's computed columns (datasets.yaml); with no
// position column in the export, open is "not started or in progress, or
// no status at all".
const a = `(SELECT *, coalesce(current_due, original_due) AS due,
       coalesce(status IN ('not started', 'in progress'), true) AS open,
       DATE ${lit(asOf)} AS as_of FROM audit_actions)`;
const days = (n) => `${n} || CASE ${n} WHEN 1 THEN ' day' ELSE ' days' END`;
const rules = {
  'overdue-actions': `SELECT action_id, description || ': ' || ${days('(as_of - due)')}
      || ' past its due date', owner FROM ${a}
    WHERE open AND coalesce(priority, '') <> 'high' AND due < as_of`,
  'high-priority-overdue': `SELECT action_id, description || ': high priority, '
      || ${days('(as_of - due)')} || ' past its due date', owner FROM ${a}
    WHERE open AND priority = 'high' AND due < as_of`,
  'overdue-against-original': `SELECT action_id, description || ': '
      || ${days('(as_of - original_due)')} || ' past its original due date '
      || original_due || ', now due ' || current_due, owner FROM ${a}
    WHERE open AND original_due < as_of AND current_due >= as_of`,
  'repeated-extensions': `SELECT action_id, description || ': due date moved '
      || extensions || ' times' || coalesce(', from ' || original_due, '')
      || coalesce(' to ' || due, ''), owner FROM ${a}
    WHERE open AND coalesce(extensions, 0) >= 2`,
  'long-outstanding-actions': `SELECT action_id, description || ': open '
      || ${days('(as_of - original_due)')} || ' after its original due date ' || original_due,
      owner FROM ${a}
    WHERE open AND original_due < as_of - INTERVAL 365 DAY`,
  'implemented-unverified': `SELECT action_id, description || ': implemented '
      || coalesce(CAST(implemented_on AS VARCHAR), 'on an unrecorded date')
      || ', still not verified after ' || ${days('(as_of - coalesce(implemented_on, due))')},
      owner FROM ${a}
    WHERE status = 'implemented awaiting verification' AND as_of - coalesce(implemented_on, due) > 90`,
  'action-without-owner-or-date': `SELECT action_id, description || ': ' || CASE
        WHEN owner IS NULL AND due IS NULL THEN 'no owner and no due date'
        WHEN owner IS NULL THEN 'no owner' ELSE 'no due date' END, owner FROM ${a}
    WHERE open AND (owner IS NULL OR due IS NULL)`,
};
const findings = Object.entries(rules)
  .map(([id, sql]) => `SELECT ${lit(id)} AS rule, * FROM (${sql}) AS t(subject, message, owner)`)
  .join('\nUNION ALL\n');

const instance = await duckdb.DuckDBInstance.create(dbFile || ':memory:', { threads });
const db = await instance.connect();
const t0 = performance.now();
await db.run(ddl);
await db.run(`INSERT INTO audit_actions SELECT * FROM ${readCsv}`);
const t1 = performance.now();
await db.run(`CREATE TEMP TABLE findings AS ${findings}`);
await db.run(`COPY (SELECT * FROM findings ORDER BY rule, subject) TO ${lit(out)} (HEADER, DELIMITER ',')`);
const t2 = performance.now();
const counts = await db.runAndReadAll('SELECT rule, count(*) FROM findings GROUP BY rule');
const seen = new Map(counts.getRows().map(([r, n]) => [r, Number(n)]));
for (const id of Object.keys(rules)) console.log(`${id} ${seen.get(id) || 0}`);
const version = (await db.runAndReadAll('SELECT version()')).getRows()[0][0];
db.closeSync();
instance.closeSync();
console.error(`duckdb: version ${version} threads ${threads} load ${((t1 - t0) / 1000).toFixed(3)}` +
  ` check ${((t2 - t1) / 1000).toFixed(3)}`);
