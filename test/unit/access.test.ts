/**
 * The access table against the templates themselves, and single widenings of each document: each
 * flips at least one row, so the table notices what judging a document alone might not.
 */
import { describe, expect, it } from 'vitest';
import { judgeAccess, type StackPolicies } from '../../src/access/judge.js';
import { accessTable } from '../../src/access/table.js';
import type { PolicyDocument } from '../../src/policy.js';
import { apiId, keyArn, n, templatePolicies } from '../support/template-policies.js';

const templates = () => templatePolicies();

const rows = accessTable(n, { keyArn, apiId, dataPrefix: 'raw/', scheduled: true });
const failing = (policies: StackPolicies) => judgeAccess(rows, n, policies).filter((j) => !j.holds).map((j) => `${j.row.principal}: ${j.row.what}`);
const KNOWN: string[] = [];

describe('the access table against the templates', () => {
  it('holds, every row', () => {
    expect(failing(templates())).toEqual([]);
  });

  it('would not hold with the key policy as it was: one statement for the role through S3 and SSM, no encryption context', () => {
    const before = templates();
    const key = { ...before.key!, Statement: before.key!.Statement.filter((s) => !String(s.Sid).startsWith('ExecutionRole')) };
    key.Statement.push({
      Sid: 'ExecutionRoleUsesKeyOnlyThroughS3AndSSM',
      Effect: 'Allow',
      Principal: { AWS: n.roleArn },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com', 'ssm.eu-west-1.amazonaws.com'], 'kms:CallerAccount': n.account } },
    });
    expect(failing({ ...before, key })).toEqual([
      'execution-role: has S3 make a data key for another bucket',
      'execution-role: has S3 decrypt for another bucket',
      "execution-role: has SSM decrypt another parameter's value",
    ]);
  });
});

describe('one widening of one document flips a row', () => {
  const added = (document: PolicyDocument, statement: PolicyDocument['Statement'][number]): PolicyDocument => ({ ...document, Statement: [...document.Statement, statement] });
  it.each<[string, (p: StackPolicies) => StackPolicies, string]>([
    ['the role may read', (p) => ({ ...p, role: [{ name: 'role policy', document: added(p.role[0]!.document, { Effect: 'Allow', Action: 's3:GetObject', Resource: `${n.bucketArn}/*` }) }] }), 'execution-role: reads what it stored'],
    ['the operators may write', (p) => ({ ...p, operator: [{ name: 'operators policy', document: added(p.operator[0]!.document, { Effect: 'Allow', Action: 's3:PutObject', Resource: `${n.bucketArn}/*` }) }] }), 'operator: writes a reading'],
    ['the bucket policy loses TLS-only', (p) => ({ ...p, bucket: { ...p.bucket!, Statement: p.bucket!.Statement.filter((s) => s.Sid !== 'DenyInsecureTransport') } }), 'execution-role: writes without TLS'],
    ['the bucket policy lets everyone read', (p) => ({ ...p, bucket: added(p.bucket!, { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${n.bucketArn}/*` }) }), 'anonymous: reads a reading'],
    ['the key policy names another account', (p) => ({ ...p, key: added(p.key!, { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'kms:Decrypt', Resource: '*' }) }), 'other-account: decrypts with the key'],
    ['the key policy lets CloudWatch Logs use it for any group', (p) => ({ ...p, key: { ...p.key!, Statement: p.key!.Statement.map((s) => (s.Sid === 'CloudWatchLogsEncryptsStackLogGroupsOnly' ? { ...s, Condition: undefined } : s)) } }), 'cloudwatch-logs: encrypts another log group'],
    ['the trust drops aws:SourceAccount', (p) => ({ ...p, trust: { ...p.trust!, Statement: p.trust!.Statement.map((s) => ({ ...s, Condition: undefined })) } }), 'lambda-service: assumes it for another account (confused deputy)'],
    ['the function policy drops its source', (p) => ({ ...p, function: { ...p.function!, Statement: p.function!.Statement.map((s) => ({ ...s, Condition: undefined })) } }), 'api-gateway: runs the function for another API'],
  ])('%s', (_what, widen, flipped) => {
    const after = failing(widen(templates()));
    expect(after).toContain(flipped);
    expect(after.filter((line) => !KNOWN.includes(line)).length).toBeGreaterThan(0);
  });
});

describe("the README's access table", () => {
  it('is the access table as it is now (npm run docs writes it)', async () => {
    const { readFileSync } = await import('node:fs');
    const { ACCESS_TABLE_BEGIN, ACCESS_TABLE_END, renderAccessMarkdown } = await import('../../src/access/render.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = readme.slice(readme.indexOf(ACCESS_TABLE_BEGIN), readme.indexOf(ACCESS_TABLE_END) + ACCESS_TABLE_END.length);
    expect(block).toBe(renderAccessMarkdown());
    // Every principal of the table has its row, with what it may and may not do.
    expect(block.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| principal'))).toHaveLength(10);
  });
});
