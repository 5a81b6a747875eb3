import { createAccess, roleIncludes } from '../../../billing/access';
import { requiredRole } from '../../../bot/slack/access';
import { parseCommand } from '../../../bot/commands';
import { useTestDatabase } from '../../helpers/db';

// billing/access.ts (roles and the audit trail) and the role each command needs.
describe('roles and the audit trail', () => {
  const t = useTestDatabase();

  it('ranks roles: each includes the ones below it', () => {
    expect(roleIncludes('admin', 'operator')).toBe(true);
    expect(roleIncludes('operator', 'viewer')).toBe(true);
    expect(roleIncludes('viewer', 'operator')).toBe(false);
    expect(roleIncludes(null, 'viewer')).toBe(false);
  });

  it('grants, counts the highest role, revokes, and keeps configured admins', async () => {
    const access = createAccess(t.db, { admins: ['U0BOSS', ' ', 'U0BOSS'] });
    expect(access.admins).toEqual(['U0BOSS']);
    expect(await access.roleOf('U0BOSS')).toBe('admin');
    expect(await access.roleOf('U0ANN')).toBeNull();
    expect(await access.grant({ principal: 'U0ANN', role: 'Viewer', grantedBy: 'U0BOSS' })).toEqual({ principal: 'U0ANN', role: 'viewer', changed: true, effective: 'viewer' });
    expect(await access.grant({ principal: 'U0ANN', role: 'operator', grantedBy: 'U0BOSS' })).toMatchObject({ changed: true, effective: 'operator' });
    expect(await access.grant({ principal: 'U0ANN', role: 'operator', grantedBy: 'U0BOSS' })).toMatchObject({ changed: false });
    expect(await access.can('U0ANN', 'viewer')).toBe(true);
    expect(await access.can('U0ANN', 'admin')).toBe(false);
    expect(await access.revoke({ principal: 'U0ANN', role: 'operator', revokedBy: 'U0BOSS' })).toMatchObject({ changed: true, effective: 'viewer' });
    await expect(access.revoke({ principal: 'U0BOSS', role: 'admin', revokedBy: 'U0ANN' })).rejects.toThrow(/BILLING_ADMINS/);
    await expect(access.grant({ principal: 'U0ANN', role: 'owner', grantedBy: 'U0BOSS' })).rejects.toThrow('A role is viewer, operator or admin.');
    expect((await access.listGrants()).map((g) => [g.principal, g.role, g.configured])).toEqual([
      ['U0BOSS', 'admin', true],
      ['U0ANN', 'viewer', false],
    ]);
  });

  it('appends audit entries and refuses to change them', async () => {
    const access = createAccess(t.db);
    const id = await access.record({ actor: 'U0ANN', source: 'slack', command: '/credit', input: 'x'.repeat(3000), action: 'credit.list', roleRequired: 'viewer', decision: 'allowed' });
    const [entry] = await access.auditTrail({ actor: 'U0ANN', limit: 1 });
    expect(entry).toMatchObject({ id, actor: 'U0ANN', command: '/credit', action: 'credit.list', decision: 'allowed', detail: null });
    expect(entry.input).toHaveLength(2000);
    await expect(access.record({ actor: ' ', source: 'slack', command: '/credit', decision: 'allowed' })).rejects.toThrow('actor: Say whose access it is.');
    await expect(t.db('audit_log').where('id', id).update({ actor: 'U0EVE' })).rejects.toThrow(/only grow/);
    await expect(t.db('audit_log').where('id', id).delete()).rejects.toThrow(/only grow/);
  });
});

describe('the role each command needs', () => {
  it.each([
    ['/credit', 'list Parent Co', 'viewer'],
    ['/billing', 'invoice 18', 'viewer'],
    ['/bill', 'status 3', 'viewer'],
    ['/bill', 'Child Co preview', 'viewer'],
    ['/bill', '', 'viewer'],
    ['/bill', 'Child Co', 'operator'],
    ['/billing', 'run Monthly Billing', 'operator'],
    ['/credit', 'add Parent Co 5 x', 'operator'],
    ['/credit', 'add', 'operator'],
    ['/credit', 'disburse CR-1', 'operator'],
    ['/credit', 'reverse CR-1', 'operator'],
    ['/credit', 'delete CR-1', 'operator'],
    ['/billing', 'access grant <@U0ANN> viewer', 'admin'],
  ] as const)('%s %s needs %s', (command, text, role) => {
    expect(requiredRole(parseCommand(command, text, { slackEscaped: true }))).toBe(role);
  });
});
