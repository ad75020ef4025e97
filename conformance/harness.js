// The harness: one Clerk instance per test file, either a fresh emulator
// (bin/clerkdev, started here) or, when CLERK_SECRET_KEY is set, that real
// Clerk development instance. Either way a small HTTP receiver captures every
// webhook delivery. Test files call start() once and stop() in after().
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { seed, baseSeed, JWT_TEMPLATE } from './seed.js';

export const againstClerk = Boolean(process.env.CLERK_SECRET_KEY);

// A test option: skip the check against real Clerk, saying why.
export function emulatorOnly(reason) {
  return againstClerk ? `emulator-only: ${reason}` : false;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const binary = process.env.CLERKDEV_BIN || join(repoRoot, 'bin', 'clerkdev');

// The app the checks stand for: requests to it are what authenticateRequest
// reads, and the emulator may send the browser back to it.
export const appUrl = 'http://localhost:3000/dashboard';

// How long a check waits for a webhook: real Clerk delivers through Svix.
export const deliveryTimeout = againstClerk ? 60_000 : 5_000;

export async function start() {
  const receiver = await startReceiver();
  let instance;
  try {
    instance = againstClerk ? await clerkInstance(receiver) : await startEmulator(receiver);
  } catch (err) {
    receiver.server.close();
    throw err;
  }
  const clerk = explainErrors(createClerkClient({
    secretKey: instance.secretKey,
    publishableKey: instance.publishableKey,
    apiUrl: instance.apiUrl,
    telemetry: { disabled: true },
  }));
  const cleanups = [];
  const env = {
    ...instance,
    clerk,
    deliveries: receiver.deliveries,
    // Registers an undo (delete what a check created); run at stop() against
    // real Clerk only, as an emulator is thrown away whole.
    cleanup(fn) { cleanups.push(fn); },
    async stop() {
      if (againstClerk) {
        for (const fn of cleanups.reverse()) await fn().catch(() => {});
        if (env.createdTemplateId) await clerk.jwtTemplates.delete(env.createdTemplateId).catch(() => {});
      }
      await instance.stop?.();
      receiver.server.close();
      receiver.server.closeAllConnections();
    },
  };
  // A new user (email and password) or organization, deleted at stop().
  env.newUser = async (label, params = {}) => {
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail(label)], password: strongPassword(), ...params });
    env.cleanup(() => clerk.users.deleteUser(user.id));
    return user;
  };
  env.newOrg = async (label, createdBy) => {
    const org = await clerk.organizations.createOrganization({ name: `Conformance ${label}`, slug: uniqueSlug(label), createdBy });
    env.cleanup(() => clerk.organizations.deleteOrganization(org.id));
    return org;
  };
  if (againstClerk) await ensureJwtTemplate(env);
  return env;
}

// The client, with Backend API errors that say what failed: the SDK's own
// message is only the HTTP status text ("Unprocessable Entity").
function explainErrors(clerk) {
  const explained = new WeakSet();
  const explain = (err) => {
    if (isClerkAPIResponseError(err) && !explained.has(err)) {
      explained.add(err);
      const e = err.errors[0];
      err.message = `${err.message} (${err.status} ${e?.code}: ${e?.longMessage || e?.message})`;
      // Reported as the message and the suite's own frames: the other fields
      // stay readable (status, errors) but are not printed.
      const frames = err.stack.split('\n').filter((l) => /^\s+at /.test(l) && !/node_modules|node:internal/.test(l));
      err.stack = [`${err.name}: ${err.message}`, ...frames].join('\n');
      for (const k of Object.keys(err)) Object.defineProperty(err, k, { enumerable: false });
    }
    throw err;
  };
  const wrap = (api) => new Proxy(api, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if (typeof v !== 'function') return v;
      return (...args) => {
        const r = v.apply(target, args);
        return typeof r?.catch === 'function' ? r.catch(explain) : r;
      };
    },
  });
  return new Proxy(clerk, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      return v && typeof v === 'object' && prop !== 'telemetry' ? wrap(v) : v;
    },
  });
}

// --- the emulator -----------------------------------------------------------

async function startEmulator(receiver) {
  if (!existsSync(binary)) {
    throw new Error(`no emulator binary at ${binary}: run \`make conformance\` (or go build -o bin/clerkdev ./cmd/clerkdev)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'clerkdev-conformance-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const secretKey = `sk_test_conformance_${randomBytes(8).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const run = (s) => {
    const seedPath = join(dir, 'seed.json');
    writeFileSync(seedPath, JSON.stringify(s, null, 2));
    return spawnEmulator({
      CLERKDEV_ADDR: '127.0.0.1:0',
      CLERKDEV_SECRET_KEY: secretKey,
      CLERKDEV_WEBHOOK_URL: receiver.url,
      CLERKDEV_WEBHOOK_SECRET: webhookSecret,
      CLERKDEV_SEED: seedPath,
      CLERKDEV_ALLOWED_REDIRECT_ORIGINS: new URL(appUrl).origin,
    });
  };
  let emu, seedRefused = null;
  try {
    emu = await run(seed).catch(async (err) => {
      // Today's emulator refuses unknown seed keys; start it with the part it
      // knows so that every other check still runs.
      if (!/unknown field/.test(err.message)) throw err;
      seedRefused = err.message.trim().split('\n').pop();
      return run(baseSeed);
    });
  } finally {
    removeDir(); // the emulator has read the seed by the time it listens
    process.off('exit', removeDir);
  }
  return {
    mode: 'emulator',
    apiUrl: emu.baseUrl,
    frontendApiUrl: emu.baseUrl,
    publishableKey: emu.publishableKey,
    secretKey,
    webhookSecret,
    seedRefused,
    stop: emu.stop,
  };
}

// The emulators this process started: never left behind, even when the test
// process ends on a crash or a signal (Ctrl-C, the runner's timeout).
const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { children.forEach((c) => c.kill('SIGTERM')); process.exit(1); });
}

function spawnEmulator(settings) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { env: { ...process.env, ...settings }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '', errOut = '', ready = false;
    const kill = () => child.kill('SIGTERM');
    const timer = setTimeout(() => fail(new Error('the emulator printed no banner within 15 s')), 15_000);
    const fail = (err) => { clearTimeout(timer); kill(); reject(err); };
    child.stderr.on('data', (b) => { errOut += b; });
    child.stdout.on('data', (b) => {
      out += b;
      const baseUrl = out.match(/listening on (http:\/\/\S+)/)?.[1];
      const publishableKey = out.match(/CLERK_PUBLISHABLE_KEY=(\S+)/)?.[1];
      if (ready || !baseUrl || !publishableKey) return;
      ready = true;
      clearTimeout(timer);
      const exited = new Promise((r) => child.once('exit', r));
      resolve({
        baseUrl,
        publishableKey,
        async stop() {
          if (child.exitCode === null) { kill(); await exited; }
        },
      });
    });
    child.once('error', fail);
    child.once('exit', (code) => {
      children.delete(child);
      if (!ready) fail(new Error(`the emulator exited (${code}) before it listened:\n${errOut}`));
    });
  });
}

// --- a real Clerk development instance --------------------------------------

async function clerkInstance(receiver) {
  const secretKey = process.env.CLERK_SECRET_KEY;
  const publishableKey = process.env.CLERK_PUBLISHABLE_KEY;
  if (!secretKey.startsWith('sk_test_')) {
    throw new Error('CLERK_SECRET_KEY must be a development key (sk_test_): the checks create and delete users');
  }
  if (!publishableKey?.startsWith('pk_test_')) {
    throw new Error('set CLERK_PUBLISHABLE_KEY (pk_test_…) of the same instance');
  }
  return {
    mode: 'clerk',
    apiUrl: process.env.CLERK_API_URL || 'https://api.clerk.com',
    frontendApiUrl: `https://${frontendApiHost(publishableKey)}`,
    publishableKey,
    secretKey,
    // Webhooks need the receiver reachable from Clerk (see README.md).
    webhookSecret: process.env.CONFORMANCE_WEBHOOK_PORT ? process.env.CLERK_WEBHOOK_SIGNING_SECRET : undefined,
    seedRefused: null,
  };
}

// The JWT template of seed.js: created for the run when the instance lacks
// it. Should that fail, only the template's check fails (and says why).
async function ensureJwtTemplate(env) {
  try {
    const { data } = await env.clerk.jwtTemplates.list({ limit: 100 });
    if (data.some((t) => t.name === JWT_TEMPLATE.name)) return;
    env.createdTemplateId = (await env.clerk.jwtTemplates.create(JWT_TEMPLATE)).id;
  } catch (err) {
    env.templateError = `could not create the JWT template ${JWT_TEMPLATE.name}: ${err.message}`;
  }
}

// The Frontend API host a publishable key names: pk_test_ + base64("host$").
export function frontendApiHost(publishableKey) {
  return Buffer.from(publishableKey.replace(/^pk_(test|live)_/, ''), 'base64').toString().replace(/\$$/, '');
}

// --- the webhook receiver ---------------------------------------------------

function startReceiver() {
  const deliveries = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let event = null;
      try { event = JSON.parse(body); } catch { /* kept as is: the signature checks report it */ }
      deliveries.push({ headers: req.headers, body, event });
      res.writeHead(204).end();
    });
  });
  const port = againstClerk ? Number(process.env.CONFORMANCE_WEBHOOK_PORT || 0) : 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({ server, deliveries, url: `http://127.0.0.1:${server.address().port}/webhooks/clerk` });
    });
  });
}

// --- helpers for the checks -------------------------------------------------

// A fresh address per call. +clerk_test marks it a test address for Clerk,
// so no email goes out.
export function uniqueEmail(label) {
  return `conformance-${label}-${randomBytes(4).toString('hex')}+clerk_test@example.com`;
}

// Long and random: Clerk refuses passwords found in breaches.
export function strongPassword() {
  return `Cf-${randomBytes(12).toString('base64url')}-9`;
}

export function uniqueSlug(label) {
  return `conformance-${label}-${randomBytes(4).toString('hex')}`;
}

// Polls until fn returns something truthy, and returns it.
export async function waitFor(fn, { timeout = deliveryTimeout, what = 'the condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// The first delivery of event type whose data.id is match, or whose data
// match(data) accepts.
export function waitForDelivery(env, type, match) {
  const ok = typeof match === 'function' ? match : (data) => data?.id === match;
  const what = `a ${type} delivery${typeof match === 'function' ? '' : ` for ${match}`}`;
  return waitFor(() => env.deliveries.find((d) => d.event?.type === type && ok(d.event.data)), { what });
}

// Emulator-only: signs in on the emulator's hosted page as a browser would,
// and returns its dev browser and the page's answer (a 303 to redirectUrl).
export async function hostedSignIn(env, { email, password, redirectUrl = '' }) {
  const query = redirectUrl ? `?redirect_url=${encodeURIComponent(redirectUrl)}` : '';
  const page = await (await fetch(`${env.frontendApiUrl}/sign-in${query}`)).text();
  const devBrowser = page.match(/name="__clerk_db_jwt" value="([^"]+)"/)?.[1];
  if (!devBrowser) throw new Error('the sign-in page names no dev browser (__clerk_db_jwt)');
  const response = await fetch(`${env.frontendApiUrl}/sign-in`, {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ identifier: email, password, __clerk_db_jwt: devBrowser, redirect_url: redirectUrl }),
  });
  return { devBrowser, response };
}

// Awaits a Backend API call that must fail, and returns its ClerkAPIResponseError.
export async function apiError(promise) {
  try {
    await promise;
  } catch (err) {
    if (!isClerkAPIResponseError(err)) throw err;
    return err;
  }
  throw new Error('the call succeeded; an API error was expected');
}
