// The emulator's seed for the suite (CLERKDEV_SEED), in one place. Against real
// Clerk there is no seed: the checks create what they use through the Backend
// API, and the harness creates the JWT template (see harness.js).
//
// users, organizations and memberships are the format of clerkdev.Seed. The
// rest stands for what a Clerk instance is configured with in its Dashboard:
//   permissions    custom organization permissions (system ones, org:sys_*, are Clerk's own)
//   roles          organization roles by key, each with its permission keys
//   jwt_templates  JWT templates by name: lifetime in seconds, claims with {{shortcodes}}
// Should the emulator refuse these keys, the harness starts it with the
// first three only and the checks that need them fail (see harness.js).

// The template sessions.getToken(sessionId, JWT_TEMPLATE.name) uses.
export const JWT_TEMPLATE = { name: 'conformance', lifetime: 60, claims: { uid: '{{user.id}}' } };

// Clerk's system permissions, granted to roles but left out of session claims.
const SYSTEM = [
  'org:sys_profile:manage', 'org:sys_profile:delete',
  'org:sys_memberships:read', 'org:sys_memberships:manage',
  'org:sys_domains:read', 'org:sys_domains:manage',
];

// A custom permission (in claims), and a custom role without it.
export const CUSTOM_PERMISSION = 'org:projects:manage';
export const CUSTOM_ROLE = 'org:viewer';

export const seed = {
  users: [{ email: 'seed-admin@example.com', first_name: 'Seed', last_name: 'Admin' }],
  organizations: [{ name: 'Seed Org', slug: 'seed-org' }],
  memberships: [{ email: 'seed-admin@example.com', slug: 'seed-org', role: 'org:admin' }],
  // The emulator's instance has the app's custom permissions, org:projects:read
  // and org:projects:manage, already; a Clerk instance needs them created in its
  // Dashboard (see README.md).
  permissions: [],
  roles: [
    { key: 'org:admin', name: 'Admin', permissions: [...SYSTEM, 'org:projects:read', 'org:projects:manage'] },
    { key: 'org:member', name: 'Member', permissions: ['org:sys_memberships:read', 'org:projects:read', 'org:projects:manage'] },
    { key: CUSTOM_ROLE, name: 'Viewer', permissions: ['org:projects:read'] },
  ],
  jwt_templates: [JWT_TEMPLATE],
};

// The part of the seed today's emulator knows (the fallback above).
export const baseSeed = { users: seed.users, organizations: seed.organizations, memberships: seed.memberships };
