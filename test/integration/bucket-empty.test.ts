/**
 * Emptying a bucket of many versions (teardown --delete-data): pages of 1000 listed from their
 * markers while earlier pages are deleted in parallel, every version and delete marker gone, the
 * count right, progress as it goes. The 20,000-version timing is the benchmark's; this proves the
 * paging on a few pages.
 */
import { systemClock } from '../../src/retry.js';
import { describe, expect, it } from 'vitest';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients, isMutatingCommand } from '../../src/aws.js';
import { resolveConfig } from '../../src/config.js';
import { stackNames } from '../../src/names.js';
import { emptyBucket } from '../../src/resources/bucket-data.js';
import type { StackContext } from '../../src/resources/types.js';
import { LOCAL_ACCOUNT, localClients, resetLocal } from '../support/helpers.js';

const aws = localClients();

async function inTurn<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

describe('emptying a bucket of 2,300 versions and delete markers', () => {
  it('deletes them all in three batches sent while listing, counting and saying so', async () => {
    await resetLocal();
    const stack = 'many';
    const names = stackNames(stack, LOCAL_ACCOUNT, 'us-east-1');
    const Bucket = names.bucket;
    await aws.s3.send(new CreateBucketCommand({ Bucket }));
    await aws.s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const keys = Array.from({ length: 1100 }, (_, i) => `raw/${String(i).padStart(5, '0')}.json`);
    // Two versions of each, then a delete marker on 100 of them: 2,300 entries.
    await inTurn([...keys, ...keys], 32, (Key) => aws.s3.send(new PutObjectCommand({ Bucket, Key, Body: '{}' })));
    await inTurn(keys.slice(0, 100), 32, (Key) => aws.s3.send(new DeleteObjectCommand({ Bucket, Key })));

    const clients = new AwsClients({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL as string });
    const ctx = { config: resolveConfig({ stack, region: 'us-east-1' }), names, aws: clients, refs: {}, inputs: {}, progress: () => {}, clock: systemClock, notes: [] } as StackContext;
    const progress: string[] = [];
    try {
      expect(await emptyBucket(ctx, (line) => progress.push(line))).toBe(2300);
    } finally {
      clients.destroy();
    }
    const left = await aws.s3.send(new ListObjectVersionsCommand({ Bucket }));
    expect((left.Versions?.length ?? 0) + (left.DeleteMarkers?.length ?? 0)).toBe(0);
    expect(clients.calls.filter((c) => isMutatingCommand(c.command)).map((c) => c.command)).toEqual(['DeleteObjects', 'DeleteObjects', 'DeleteObjects']);
    expect(progress).toHaveLength(3);
    expect(progress.at(-1)).toBe('deleted 2300 object versions and delete markers');
  }, 120_000);
});
