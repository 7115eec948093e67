import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { renderTeardown } from '../../src/render/teardown.js';

const plain = new Chalk({ level: 0 });
const titles: Record<string, string> = { bucket: 'S3 bucket', 'kms-key': 'KMS key', function: 'Lambda function' };

describe('the teardown report', () => {
  it('lists what goes, what stays and why, and what was already gone, in aligned columns, then the counts', () => {
    const lines = renderTeardown(
      {
        stack: 'weather',
        region: 'eu-west-1',
        account: '123456789012',
        dryRun: true,
        removed: [{ resource: 'function', name: 'weather-ingest' }],
        retained: [{ resource: 'bucket', name: 'weather-123456789012-eu-west-1', reason: 'holds 3 object versions and delete markers (--delete-data removes them)' }],
        absent: [{ resource: 'kms-key', name: 'alias/weather' }],
      },
      (kind) => titles[kind] ?? kind,
      plain,
    );
    expect(lines).toEqual([
      'Teardown of stack weather in eu-west-1 (account 123456789012) (dry run: nothing changes)',
      '',
      '- Lambda function weather-ingest                  would remove',
      '= S3 bucket       weather-123456789012-eu-west-1  would be retained: holds 3 object versions and delete markers (--delete-data removes them)',
      '. KMS key         alias/weather                   already gone',
      '',
      'Would remove 1, retained 1, already gone 1.',
    ]);
  });
});
