// Backend API errors as the SDK surfaces them: a ClerkAPIResponseError with
// Clerk's status, errors[0].code and errors[0].meta.paramName.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient } from '@clerk/backend';
import { start, apiError, uniqueEmail, uniqueSlug, strongPassword } from '../harness.js';

const env = await start();
after(() => env.stop());
const { clerk } = env;

function assertError(err, status, code, paramName) {
  assert.equal(err.status, status, `status (code ${err.errors[0]?.code})`);
  assert.equal(err.errors[0].code, code);
  if (paramName) assert.equal(err.errors[0].meta?.paramName, paramName);
  assert.equal(typeof err.errors[0].message, 'string');
  assert.equal(typeof err.errors[0].longMessage, 'string');
}

test('a too-short password: form_password_length_too_short', async () => {
  const err = await apiError(clerk.users.createUser({ emailAddress: [uniqueEmail('short')], password: 'Ab1!' }));
  assertError(err, 422, 'form_password_length_too_short', 'password');
});

test('a taken email address: form_identifier_exists', async () => {
  const user = await env.newUser('taken');
  const err = await apiError(clerk.users.createUser({ emailAddress: [user.emailAddresses[0].emailAddress], password: strongPassword() }));
  assertError(err, 422, 'form_identifier_exists', 'email_address');
});

test('a taken organization slug: form_identifier_exists', async () => {
  const org = await env.newOrg('taken');
  const err = await apiError(clerk.organizations.createOrganization({ name: 'Conformance again', slug: org.slug }));
  assertError(err, 422, 'form_identifier_exists', 'slug');
});

test('a missing parameter: form_param_missing', async () => {
  const err = await apiError(clerk.organizations.createOrganization({ slug: uniqueSlug('noname') }));
  assertError(err, 422, 'form_param_missing', 'name');
});

test('not found: resource_not_found', async () => {
  assertError(await apiError(clerk.users.getUser('user_2doesnotexist000000000000000')), 404, 'resource_not_found');
  assertError(await apiError(clerk.organizations.getOrganization({ organizationId: 'org_2doesnotexist00000000000000' })), 404, 'resource_not_found');
  assertError(await apiError(clerk.sessions.getSession('sess_2doesnotexist0000000000000')), 404, 'resource_not_found');
});

test('a second membership: already_a_member_in_organization', async () => {
  const user = await env.newUser('twice');
  const org = await env.newOrg('twice', user.id);
  const err = await apiError(clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: user.id, role: 'org:member' }));
  assertError(err, 400, 'already_a_member_in_organization'); // 400, as Clerk's error index lists it
});

test('a wrong secret key: 401', async () => {
  const wrong = createClerkClient({ secretKey: 'sk_test_wrongwrongwrong', apiUrl: env.apiUrl, telemetry: { disabled: true } });
  const err = await apiError(wrong.users.getUserList());
  assert.equal(err.status, 401);
});
