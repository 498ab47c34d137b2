/**
 * Rule `constraint-not-valid`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/constraint-not-valid.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, lintSql, tty } from '../helpers.js';

describe('constraint-not-valid', () => {
  it('accepts NOT VALID followed by VALIDATE CONSTRAINT, and constraints on new tables', async () => {
    const r = await lintSql(
      'ALTER TABLE "Lead" ADD CONSTRAINT lead_customer_fk FOREIGN KEY (customer_id) REFERENCES "Customer"(id) NOT VALID;\nALTER TABLE "Lead" VALIDATE CONSTRAINT lead_customer_fk;\nALTER TABLE "Lead" ADD CONSTRAINT lead_amount_positive CHECK (amount > 0) NOT VALID;\nCREATE TABLE "JobItem" (id uuid PRIMARY KEY, job_id uuid);\nALTER TABLE "JobItem" ADD CONSTRAINT jobitem_job_fk FOREIGN KEY (job_id) REFERENCES "Job"(id);',
    );
    expect(active(r, 'constraint-not-valid')).toEqual([]);
  });

  it('flags a FOREIGN KEY added and validated in one step', async () => {
    const r = await lintSql(
      'ALTER TABLE "Lead" ADD CONSTRAINT lead_customer_fk FOREIGN KEY (customer_id) REFERENCES "Customer"(id) ON DELETE SET NULL;',
    );
    const found = active(r, 'constraint-not-valid');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'constraint-not-valid')).toMatchSnapshot();
  });

  it('flags an inline REFERENCES in ADD COLUMN', async () => {
    const r = await lintSql('ALTER TABLE "Job" ADD COLUMN customer_id uuid REFERENCES "Customer"(id);');
    const found = active(r, 'constraint-not-valid');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'constraint-not-valid')).toMatchSnapshot();
  });

  it('flags a validated CHECK', async () => {
    const r = await lintSql('ALTER TABLE "Lead" ADD CONSTRAINT lead_amount_positive CHECK (amount > 0);');
    const found = active(r, 'constraint-not-valid');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'constraint-not-valid')).toMatchSnapshot();
  });
});

describe('constraint-not-valid: VALIDATE in the transaction that added the constraint', () => {
  it('ok: NOT VALID and VALIDATE in separate transactions (or autocommit)', async () => {
    const r = await lintSql(
      'BEGIN;\nALTER TABLE "Lead" ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES "Customer"(id) NOT VALID;\nCOMMIT;\nALTER TABLE "Lead" VALIDATE CONSTRAINT fk;',
    );
    expect(active(r, 'constraint-not-valid')).toEqual([]);
  });

  it('flags NOT VALID + VALIDATE inside one BEGIN … COMMIT, and in one transactional Tidemark step', async () => {
    const r = await lintSql(
      'BEGIN;\nALTER TABLE "Lead" ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES "Customer"(id) NOT VALID;\nALTER TABLE "Lead" VALIDATE CONSTRAINT fk;\nCOMMIT;',
    );
    expect(active(r, 'constraint-not-valid').map((f) => f.line)).toEqual([3]);
    expect(tty(r, 'constraint-not-valid')).toMatchSnapshot();
    const p = await lintPlanBody(
      `{ id: 'w', expand: [sql({ id: 'fk', up: ['ALTER TABLE "Lead" ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES "Customer"(id) NOT VALID', 'ALTER TABLE "Lead" VALIDATE CONSTRAINT fk'] })] }`,
    );
    expect(active(p, 'constraint-not-valid')).toHaveLength(1);
    const ok = await lintPlanBody(
      `{ id: 'w', expand: [sql({ id: 'fk', transaction: false, up: ['ALTER TABLE "Lead" ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES "Customer"(id) NOT VALID', 'ALTER TABLE "Lead" VALIDATE CONSTRAINT fk'] })] }`,
    );
    expect(active(ok, 'constraint-not-valid')).toEqual([]);
  });
});
