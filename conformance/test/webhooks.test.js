// Webhooks: the Backend API calls below cause every event type the suite can
// cause; then every delivery the receiver captured (the emulator's seed
// deliveries too) is verified with svix and with @clerk/backend/webhooks, and
// its keys are compared with Clerk's published example of its type.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Webhook } from 'svix';
import { verifyWebhook } from '@clerk/backend/webhooks';
import {
  start, emulatorOnly, hostedSignIn, waitForDelivery, uniqueEmail, uniqueSlug, strongPassword,
} from '../harness.js';

const env = await start();
after(() => env.stop());
const { clerk, newUser } = env;
const skip = env.webhookSecret ? false
  : 'against Clerk, webhooks need CONFORMANCE_WEBHOOK_PORT and CLERK_WEBHOOK_SIGNING_SECRET (see README.md)';

// Clerk's published examples, one per event type (internal/clerkfixtures/SOURCES.md).
const fixtures = new URL('../../internal/clerkfixtures/testdata/', import.meta.url);
const examples = Object.fromEntries(readdirSync(fixtures)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, fixtures), 'utf8')))
  .filter((e) => e.object === 'event' && typeof e.type === 'string')
  .map((e) => [e.type, e]));


describe('deliveries of each event', { skip }, () => {
  test('user.created, user.updated, user.deleted', async () => {
    const user = await clerk.users.createUser({ emailAddress: [uniqueEmail('wh-user')], password: strongPassword() });
    await waitForDelivery(env, 'user.created', user.id);
    await clerk.users.updateUser(user.id, { firstName: 'Hooked' });
    const updated = await waitForDelivery(env, 'user.updated', user.id);
    assert.equal(updated.event.data.first_name, 'Hooked');
    await clerk.users.deleteUser(user.id);
    const deleted = await waitForDelivery(env, 'user.deleted', user.id);
    assert.equal(deleted.event.data.deleted, true);
  });

  test('organization.* and organizationMembership.*', async () => {
    const admin = await newUser('wh-admin');
    const member = await newUser('wh-member');
    const org = await clerk.organizations.createOrganization({ name: 'Conformance hooks', slug: uniqueSlug('wh'), createdBy: admin.id });
    await waitForDelivery(env, 'organization.created', org.id);
    await waitForDelivery(env, 'organizationMembership.created', (d) => d.organization?.id === org.id && d.public_user_data?.user_id === admin.id);

    const m = await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: member.id, role: 'org:member' });
    await waitForDelivery(env, 'organizationMembership.created', m.id);
    await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: member.id, role: 'org:admin' });
    const promoted = await waitForDelivery(env, 'organizationMembership.updated', m.id);
    assert.equal(promoted.event.data.role, 'org:admin');
    await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: member.id });
    await waitForDelivery(env, 'organizationMembership.deleted', m.id);

    await clerk.organizations.updateOrganization(org.id, { name: 'Conformance hooks renamed' });
    await waitForDelivery(env, 'organization.updated', org.id);
    await clerk.organizations.deleteOrganization(org.id);
    await waitForDelivery(env, 'organization.deleted', org.id);
  });

  test('organizationInvitation.created, organizationInvitation.revoked', async () => {
    const admin = await newUser('wh-inviter');
    const org = await env.newOrg('wh-inv', admin.id);
    const inv = await clerk.organizations.createOrganizationInvitation({
      organizationId: org.id, emailAddress: uniqueEmail('wh-invitee'), role: 'org:member', inviterUserId: admin.id,
    });
    await waitForDelivery(env, 'organizationInvitation.created', inv.id);
    await clerk.organizations.revokeOrganizationInvitation({ organizationId: org.id, invitationId: inv.id, requestingUserId: admin.id });
    const revoked = await waitForDelivery(env, 'organizationInvitation.revoked', inv.id);
    assert.equal(revoked.event.data.status, 'revoked');
  });

  test('session.created, session.revoked', async () => {
    const user = await newUser('wh-session');
    const session = await clerk.sessions.createSession({ userId: user.id });
    const created = await waitForDelivery(env, 'session.created', session.id);
    assert.equal(created.event.data.user_id, user.id);
    await clerk.sessions.revokeSession(session.id);
    const revoked = await waitForDelivery(env, 'session.revoked', session.id);
    assert.equal(revoked.event.data.status, 'revoked');
  });

  test('session.ended when the user signs out', { skip: emulatorOnly('signs in and out through the emulator\'s hosted pages; on Clerk that is ClerkJS in a browser') }, async () => {
    const password = strongPassword();
    const user = await newUser('wh-signout', { password });
    const { devBrowser, response } = await hostedSignIn(env, { email: user.emailAddresses[0].emailAddress, password });
    assert.equal(response.status, 200);
    const created = await waitForDelivery(env, 'session.created', (d) => d.user_id === user.id);
    const signOut = await fetch(`${env.frontendApiUrl}/sign-out`, { method: 'POST', body: new URLSearchParams({ __clerk_db_jwt: devBrowser }) });
    assert.equal(signOut.status, 200);
    const ended = await waitForDelivery(env, 'session.ended', created.event.data.id);
    assert.equal(ended.event.data.status, 'ended');
  });

  test('permission.* and role.* for custom ones made through the Backend API', async () => {
    const key = `org:${uniqueSlug('wh').replaceAll('-', '_')}:run`;
    const perm = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Conformance run', key, description: 'Made by the conformance suite' });
    env.cleanup(() => clerk.organizationPermissions.deleteOrganizationPermission(perm.id));
    await waitForDelivery(env, 'permission.created', perm.id);
    await clerk.organizationPermissions.updateOrganizationPermission({ permissionId: perm.id, description: 'Renamed by the conformance suite' });
    await waitForDelivery(env, 'permission.updated', perm.id);

    const role = await clerk.organizationRoles.createOrganizationRole({
      name: 'Conformance runner', key: `org:${uniqueSlug('runner').replaceAll('-', '_')}`, description: 'Made by the conformance suite', permissions: [perm.id],
    });
    env.cleanup(() => clerk.organizationRoles.deleteOrganizationRole(role.id));
    const roleCreated = await waitForDelivery(env, 'role.created', role.id);
    assert.deepEqual(roleCreated.event.data.permissions.map((p) => p.key), [key]);
    await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: role.id, description: 'Changed by the conformance suite' });
    await waitForDelivery(env, 'role.updated', role.id);
    await clerk.organizationRoles.deleteOrganizationRole(role.id);
    await waitForDelivery(env, 'role.deleted', role.id);
    await clerk.organizationPermissions.deleteOrganizationPermission(perm.id);
    await waitForDelivery(env, 'permission.deleted', perm.id);
  });
});

// The deliveries in Svix's three headers, as they arrived.
const svixHeaders = (d) => ({
  'svix-id': d.headers['svix-id'], 'svix-timestamp': d.headers['svix-timestamp'], 'svix-signature': d.headers['svix-signature'],
});
const label = (d) => `${d.event?.type} ${d.event?.data?.id} (${d.headers['svix-id']})`;

describe('every captured delivery', { skip }, () => {
  test('verifies with svix Webhook.verify', () => {
    assert.ok(env.deliveries.length > 0, 'no delivery was captured');
    const wh = new Webhook(env.webhookSecret);
    for (const d of env.deliveries) {
      assert.deepEqual(wh.verify(d.body, svixHeaders(d)), JSON.parse(d.body), label(d));
    }
  });

  test('verifies with @clerk/backend/webhooks verifyWebhook', async () => {
    assert.ok(env.deliveries.length > 0, 'no delivery was captured');
    for (const d of env.deliveries) {
      const request = new Request('http://localhost:3000/webhooks/clerk', {
        method: 'POST', headers: { 'content-type': 'application/json', ...svixHeaders(d) }, body: d.body,
      });
      const event = await verifyWebhook(request, { signingSecret: env.webhookSecret });
      assert.equal(event.type, d.event.type, label(d));
      assert.deepEqual(event.data, d.event.data, label(d));
    }
  });

  test('a tampered body is refused', () => {
    const d = env.deliveries[0];
    assert.ok(d, 'no delivery was captured');
    assert.throws(() => new Webhook(env.webhookSecret).verify(d.body.replace('"data"', '"data" '), svixHeaders(d)));
  });

  test('has the keys of Clerk\'s published example of its type', async (t) => {
    const types = [...new Set(env.deliveries.map((d) => d.event.type))].sort();
    for (const type of types) {
      await t.test(`${type}: the keys of Clerk's example`, (tt) => {
        const example = examples[type];
        if (!example) return tt.skip('Clerk publishes no example of this type');
        const extra = new Set();
        for (const d of env.deliveries.filter((x) => x.event.type === type)) {
          const diff = keyDiff(example, d.event);
          diff.extra.forEach((k) => extra.add(k.replace(/\[\d+\]/g, '[]')));
          assert.deepEqual(diff.missing, [], `${label(d)} lacks keys of the example`);
        }
        if (extra.size) tt.diagnostic(`keys beyond the example (allowed): ${[...extra].join(', ')}`);
      });
    }
  });
});

// The key paths of example that actual lacks, and those actual has beyond it,
// recursively. An array is compared element by element with the example's
// first element; a null on either side ends the comparison there (Clerk's
// nullable objects), and metadata is the app's own, so its keys are not.
function keyDiff(example, actual, path = '') {
  const out = { missing: [], extra: [] };
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(example) && isObject(actual)) {
    for (const k of Object.keys(example)) {
      if (!(k in actual)) out.missing.push(`${path}.${k}`);
      else if (!k.endsWith('_metadata')) merge(out, keyDiff(example[k], actual[k], `${path}.${k}`));
    }
    for (const k of Object.keys(actual)) if (!(k in example)) out.extra.push(`${path}.${k}`);
  } else if (Array.isArray(example) && Array.isArray(actual) && example.length > 0) {
    actual.forEach((a, i) => merge(out, keyDiff(example[0], a, `${path}[${i}]`)));
  }
  return out;
}

function merge(into, from) {
  into.missing.push(...from.missing);
  into.extra.push(...from.extra);
}
