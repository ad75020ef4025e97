// Session tokens as the SDK verifies them: verifyToken (JWKS and PEM),
// authenticateRequest (Bearer and cookies), authorized parties, clock skew,
// auth.has() from the claims, and a JWT template.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { verifyToken } from '@clerk/backend';
import { decodeJwt } from '@clerk/backend/jwt';
import { start, appUrl, emulatorOnly, frontendApiHost, hostedSignIn, strongPassword } from '../harness.js';
import { CUSTOM_PERMISSION, CUSTOM_ROLE, JWT_TEMPLATE } from '../seed.js';

const env = await start();
after(() => env.stop());
const { clerk } = env;

const { newUser } = env;

// A session of a new user and a fresh token of it.
async function signedIn(label, sessionParams = {}) {
  const user = await newUser(label);
  const session = await clerk.sessions.createSession({ userId: user.id, ...sessionParams });
  const { jwt } = await clerk.sessions.getToken(session.id);
  return { user, session, jwt };
}

const jwks = () => ({ secretKey: env.secretKey, apiUrl: env.apiUrl });
// The PEM public key of the JWKS key that signed jwt (Clerk shows it in the
// Dashboard as the "PEM public key", CLERK_JWT_KEY).
async function pemOf(jwt) {
  const { kid } = decodeJwt(jwt).header;
  const jwk = (await clerk.jwks.getJwks()).keys.find((k) => k.kid === kid);
  assert.ok(jwk, `the JWKS has the token's kid ${kid}`);
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
}
const bearer = (jwt) => new Request(appUrl, { headers: { Authorization: `Bearer ${jwt}` } });
const sleepUntil = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

describe('verifyToken', () => {
  test('with the JWKS (secret key): the claims name the user and the session', async () => {
    const { user, session, jwt } = await signedIn('jwks');
    const claims = await verifyToken(jwt, jwks());
    assert.equal(claims.sub, user.id);
    assert.equal(claims.sid, session.id);
    assert.equal(new URL(claims.iss).host, frontendApiHost(env.publishableKey), 'iss is the Frontend API of the publishable key');
    assert.ok(claims.exp > claims.iat);
  });

  test('with jwtKey (the PEM of the JWKS key), no network', async () => {
    const { user, jwt } = await signedIn('pem');
    assert.equal((await verifyToken(jwt, { jwtKey: await pemOf(jwt) })).sub, user.id);
  });

  test('an expired token is refused, unless the clock skew covers it', async () => {
    const user = await newUser('expired');
    const session = await clerk.sessions.createSession({ userId: user.id });
    // 30 s is the shortest lifetime Clerk allows (expires_in_seconds).
    const { jwt } = await clerk.sessions.getToken(session.id, undefined, 30);
    const { exp } = decodeJwt(jwt).payload;
    await sleepUntil(exp * 1000 + 200);
    await assert.rejects(verifyToken(jwt, { ...jwks(), clockSkewInMs: 0 }), (err) => err.reason === 'token-expired');
    assert.equal((await verifyToken(jwt, { ...jwks(), clockSkewInMs: 10 * 60_000 })).sub, user.id);

    const state = await clerk.authenticateRequest(bearer(jwt), { clockSkewInMs: 0 });
    assert.equal(state.isSignedIn, false);
    assert.match(state.reason, /expired/);
  });
});

describe('authorizedParties', () => {
  test('a token is accepted only for its azp (a token without one fails any list)', async () => {
    const { jwt } = await signedIn('azp');
    const { azp } = decodeJwt(jwt).payload;
    const other = 'https://other.example.com';
    if (azp) assert.equal((await verifyToken(jwt, { ...jwks(), authorizedParties: [azp] })).azp, azp);
    await assert.rejects(verifyToken(jwt, { ...jwks(), authorizedParties: [other] }),
      (err) => err.reason === 'token-invalid-authorized-parties');
  });

  test('a session started for an origin carries that azp', { skip: emulatorOnly('azp is the emulator\'s extension of POST /v1/sessions') }, async () => {
    const origin = 'http://localhost:3000';
    const { jwt } = await signedIn('azp-origin', { azp: origin });
    assert.equal(decodeJwt(jwt).payload.azp, origin);
    const ok = await clerk.authenticateRequest(bearer(jwt), { authorizedParties: [origin] });
    assert.equal(ok.isSignedIn, true);
    const refused = await clerk.authenticateRequest(bearer(jwt), { authorizedParties: ['https://evil.example.com'] });
    assert.equal(refused.isSignedIn, false);
    assert.equal(refused.reason, 'token-invalid-authorized-parties');
  });
});

describe('authenticateRequest', () => {
  test('with a Bearer token', async () => {
    const { user, session, jwt } = await signedIn('bearer');
    const state = await clerk.authenticateRequest(bearer(jwt));
    assert.equal(state.isSignedIn, true, state.message);
    const auth = state.toAuth();
    assert.equal(auth.userId, user.id);
    assert.equal(auth.sessionId, session.id);
    assert.equal(auth.orgId, undefined);
  });

  test('with the __session and __client_uat cookies', async () => {
    const { user, jwt } = await signedIn('cookies');
    const { iat } = decodeJwt(jwt).payload;
    // A development instance also wants a dev browser (__clerk_db_jwt); the
    // SDK only checks that the cookie is there, which a browser's always is.
    const cookie = `__session=${jwt}; __client_uat=${iat}; __clerk_db_jwt=dvb_conformance`;
    const state = await clerk.authenticateRequest(new Request(appUrl, { headers: { cookie } }));
    assert.equal(state.isSignedIn, true, `${state.status} ${state.reason} ${state.message}`);
    assert.equal(state.toAuth().userId, user.id);

    const stale = `__session=${jwt}; __client_uat=${iat + 60}; __clerk_db_jwt=dvb_conformance`;
    const again = await clerk.authenticateRequest(new Request(appUrl, { headers: { cookie: stale } }));
    assert.equal(again.isSignedIn, false, 'a token older than __client_uat is not taken');
  });

  test('with jwtKey instead of the JWKS', async () => {
    const { user, jwt } = await signedIn('jwtkey');
    const state = await clerk.authenticateRequest(bearer(jwt), { jwtKey: await pemOf(jwt) });
    assert.equal(state.toAuth().userId, user.id);
  });
});

// A browser's first visits to a development instance, as the SDK drives them:
// the hosted sign-in sends it back with its dev browser, the SDK answers with
// a handshake redirect to the Frontend API, and the handshake it brings back
// signs the request in and sets the session cookies.
test('the development handshake signs in through authenticateRequest', { skip: emulatorOnly('signs in through the emulator\'s hosted page; on Clerk that is ClerkJS in a browser') }, async () => {
  const password = strongPassword();
  const user = await newUser('handshake', { password });
  const navigate = (url, cookie = '') => new Request(url, { headers: { 'sec-fetch-dest': 'document', accept: 'text/html', cookie } });

  const email = user.emailAddresses[0].emailAddress;
  const { devBrowser, response: signIn } = await hostedSignIn(env, { email, password, redirectUrl: appUrl });
  assert.equal(signIn.status, 303);
  const back = signIn.headers.get('location');
  assert.equal(new URL(back).origin, new URL(appUrl).origin);

  // The SDK puts https:// before the publishable key's host; the emulator
  // serves http, which proxyUrl names.
  const options = { proxyUrl: env.frontendApiUrl };
  const sync = await clerk.authenticateRequest(navigate(back), options);
  assert.equal(sync.status, 'handshake', sync.reason);
  const toFapi = sync.headers.get('location');
  assert.equal(new URL(toFapi).origin, env.frontendApiUrl);

  const handshake = await fetch(toFapi, { redirect: 'manual' });
  assert.ok([302, 303, 307].includes(handshake.status), `handshake answered ${handshake.status}`);
  const landed = await clerk.authenticateRequest(navigate(handshake.headers.get('location'), `__clerk_db_jwt=${devBrowser}`), options);
  assert.equal(landed.isSignedIn, true, `${landed.status} ${landed.reason} ${landed.message}`);
  assert.equal(landed.toAuth().userId, user.id);

  // The cookies it set sign the next request in.
  const cookies = landed.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => !c.endsWith('='));
  const next = await clerk.authenticateRequest(navigate(appUrl, cookies.join('; ')), options);
  assert.equal(next.isSignedIn, true, `${next.status} ${next.reason} ${next.message}`);
  assert.equal(next.toAuth().userId, user.id);
});

// Clerk's Backend API cannot choose a session's active organization (only the
// Frontend API can), so these use the emulator's active_organization_id.
describe('organization claims and auth.has()', () => {
  const skip = emulatorOnly('a session\'s active organization is set through the emulator\'s active_organization_id extension of POST /v1/sessions');

  async function orgSession(label, role) {
    const owner = await newUser(`${label}-owner`);
    const org = await env.newOrg(label, owner.id);
    let user = owner;
    if (role !== 'org:admin') {
      user = await newUser(label);
      await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: user.id, role });
    }
    const session = await clerk.sessions.createSession({ userId: user.id, activeOrganizationId: org.id });
    const { jwt } = await clerk.sessions.getToken(session.id);
    const state = await clerk.authenticateRequest(bearer(jwt));
    assert.equal(state.isSignedIn, true, state.message);
    return { org, auth: state.toAuth() };
  }

  test('the organization, its slug and the role come from the claims', { skip }, async () => {
    const { org, auth } = await orgSession('claims', 'org:admin');
    assert.equal(auth.orgId, org.id);
    assert.equal(auth.orgSlug, org.slug);
    assert.equal(auth.orgRole, 'org:admin');
    assert.equal(auth.has({ role: 'org:admin' }), true);
    assert.equal(auth.has({ role: 'org:member' }), false);
  });

  test('system permissions are not in the claims: has(org:sys_memberships:manage) is false for an admin', { skip }, async () => {
    const { auth } = await orgSession('sys', 'org:admin');
    assert.equal(auth.has({ permission: 'org:sys_memberships:manage' }), false);
    assert.deepEqual(auth.orgPermissions.filter((p) => p.startsWith('org:sys_')), []);
  });

  test(`a custom permission is: has(${CUSTOM_PERMISSION}) is true for an admin`, { skip }, async () => {
    const { auth } = await orgSession('custom', 'org:admin');
    assert.equal(auth.has({ permission: CUSTOM_PERMISSION }), true);
  });

  test(`a custom role (${CUSTOM_ROLE}) has its own permissions only`, { skip }, async () => {
    const { auth } = await orgSession('viewer', CUSTOM_ROLE);
    assert.equal(auth.orgRole, CUSTOM_ROLE);
    assert.equal(auth.has({ permission: 'org:projects:read' }), true);
    assert.equal(auth.has({ permission: CUSTOM_PERMISSION }), false);
  });
});

describe('JWT templates', () => {
  test(`getToken(sessionId, '${JWT_TEMPLATE.name}') signs the template's claims and lifetime`, async (t) => {
    const { user, session } = await signedIn('template');
    if (env.templateError) t.diagnostic(env.templateError);
    const { jwt } = await clerk.sessions.getToken(session.id, JWT_TEMPLATE.name);
    const claims = await verifyToken(jwt, jwks());
    assert.equal(claims.sub, user.id);
    assert.equal(claims.uid, user.id, 'the {{user.id}} shortcode');
    assert.equal(claims.exp - claims.iat, JWT_TEMPLATE.lifetime);
  });
});

test('the emulator takes the seed\'s permissions, roles and JWT templates', { skip: emulatorOnly('real Clerk has no seed') }, () => {
  assert.equal(env.seedRefused, null, `the emulator refused the seed (started with users, organizations and memberships only): ${env.seedRefused}`);
});

