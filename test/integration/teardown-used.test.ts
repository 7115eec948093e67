/**
 * Teardown of an operator user that people have used, and of a role someone put in an instance
 * profile. IAM's DeleteUser answers 409 DeleteConflict ("Cannot delete entity, must delete login
 * profile first.", "... must delete MFA device first.", ...) while the user still has any of these;
 * the local AWS deletes the user anyway, so the proxy answers DeleteUser as IAM does, from what
 * the local AWS still holds. The local AWS lacks service-specific credentials altogether: the proxy
 * keeps one for the user (IAM API reference, ListServiceSpecificCredentials). DeleteRole already
 * refuses a role in an instance profile on the local AWS, as on IAM.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  AddUserToGroupCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetInstanceProfileCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListVirtualMFADevicesCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { awsError, startAwsProxy, type AwsProxy, type ProxyResponse } from '../support/aws-proxy.js';
import { TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const stack = 'usedstack';
const UserName = `${stack}-operator-us-east-1`;
const GroupName = `${stack}-operators-us-east-1`;
const RoleName = `${stack}-ingest-role-us-east-1`;
const aws = localClients();
let proxy: AwsProxy;
let serviceCredentials = 1;

const iamXml = (action: string, result: string): ProxyResponse => ({
  status: 200,
  headers: { 'content-type': 'text/xml' },
  body: `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">${result ? `<${action}Result>${result}</${action}Result>` : ''}<ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata></${action}Response>`,
});

/** What IAM would name first as still attached to the user, or null when DeleteUser may go ahead. */
async function conflict(iam: IAMClient, user: string): Promise<string | null> {
  const has = async (read: () => Promise<unknown[] | undefined>) => ((await read().catch(() => [])) ?? []).length > 0;
  if (await iam.send(new GetLoginProfileCommand({ UserName: user })).then(() => true, () => false)) return 'must delete login profile first.';
  if (await has(async () => (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata)) return 'must delete access keys first.';
  if (await has(async () => (await iam.send(new ListMFADevicesCommand({ UserName: user }))).MFADevices)) return 'must delete MFA device first.';
  if (await has(async () => (await iam.send(new ListSigningCertificatesCommand({ UserName: user }))).Certificates)) return 'must delete certificates first.';
  if (await has(async () => (await iam.send(new ListSSHPublicKeysCommand({ UserName: user }))).SSHPublicKeys)) return 'must remove referenced objects first.';
  if (serviceCredentials > 0) return 'must remove referenced objects first.';
  if (await has(async () => (await iam.send(new ListGroupsForUserCommand({ UserName: user }))).Groups)) return 'must remove users from group first.';
  return null;
}

function userOf(body: string): string {
  return decodeURIComponent(/UserName=([^&]+)/.exec(body)?.[1] ?? '');
}

beforeAll(async () => {
  await resetLocal();
  const run = await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  // What people did with the operator user since: a console password, a virtual MFA device,
  // two access keys, an SSH key for CodeCommit, a signing certificate, a service credential.
  const iam = aws.iam;
  await iam.send(new CreateLoginProfileCommand({ UserName, Password: 'Correct-Horse-Battery-9', PasswordResetRequired: true }));
  const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: UserName }));
  await iam.send(new EnableMFADeviceCommand({ UserName, SerialNumber: device.VirtualMFADevice?.SerialNumber, AuthenticationCode1: '123456', AuthenticationCode2: '654321' }));
  await iam.send(new CreateAccessKeyCommand({ UserName }));
  await iam.send(new CreateAccessKeyCommand({ UserName }));
  const dir = mkdtempSync(join(tmpdir(), 'bridge-used-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'id')]);
  await iam.send(new UploadSSHPublicKeyCommand({ UserName, SSHPublicKeyBody: readFileSync(join(dir, 'id.pub'), 'utf8') }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=operator', '-days', '1'], { stdio: 'ignore' });
  await iam.send(new UploadSigningCertificateCommand({ UserName, CertificateBody: readFileSync(join(dir, 'cert.pem'), 'utf8') }));
  // Someone else put in the stack's group, and the role put in an instance profile.
  await iam.send(new CreateUserCommand({ UserName: 'colleague' }));
  await iam.send(new AddUserToGroupCommand({ UserName: 'colleague', GroupName }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'ops-box' }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'ops-box', RoleName }));

  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string, [
    {
      service: 'iam',
      operation: 'DeleteUser',
      when: async (request) => (await conflict(iam, userOf(request.body))) !== null,
      respond: async (request) => awsError.query(409, 'DeleteConflict', `Cannot delete entity, ${await conflict(iam, userOf(request.body))}`),
    },
    {
      service: 'iam',
      operation: 'ListServiceSpecificCredentials',
      respond: (request) =>
        iamXml(
          'ListServiceSpecificCredentials',
          `<ServiceSpecificCredentials>${
            serviceCredentials > 0 && userOf(request.body) === UserName
              ? `<member><UserName>${UserName}</UserName><Status>Active</Status><ServiceUserName>${UserName}-at-123456789012</ServiceUserName><CreateDate>2026-11-01T00:00:00Z</CreateDate><ServiceSpecificCredentialId>ACCAQWERTYUIOPASDFGH1</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member>`
              : ''
          }</ServiceSpecificCredentials>`,
        ),
    },
    {
      service: 'iam',
      operation: 'DeleteServiceSpecificCredential',
      respond: () => {
        serviceCredentials = 0;
        return iamXml('DeleteServiceSpecificCredential', '');
      },
    },
  ]);
});

afterAll(async () => {
  await proxy?.close();
});

describe('teardown of an operator user that people have used', () => {
  it('is refused by IAM as long as any of it is left (the proxy answers as IAM does)', async () => {
    expect(await conflict(aws.iam, UserName)).toBe('must delete login profile first.');
  });

  it('removes the password, MFA device, keys, SSH key, certificate and service credential first, says so, and the user is gone', async () => {
    const run = await runCli(['teardown', '--stack', stack, '--delete-data', '--yes', '--endpoint-url', proxy.endpoint, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const removed = (JSON.parse(run.stdout) as { removed: { resource: string; note?: string }[] }).removed;
    const operators = removed.find((r) => r.resource === 'operators');
    expect(operators?.note).toBe(
      'removed with them: 1 console password, 2 access keys, 1 MFA device, 1 SSH key, 1 signing certificate, 1 service-specific credential, 1 group membership, 1 other member taken out of the group (colleague)',
    );
    expect(proxy.answered[0]).toBe(0);
    await expect(aws.iam.send(new GetLoginProfileCommand({ UserName }))).rejects.toThrow();
    // The virtual device was the user's: deleted, not left unassigned in the account.
    expect((await aws.iam.send(new ListVirtualMFADevicesCommand({}))).VirtualMFADevices ?? []).toEqual([]);
  });

  it("takes the role out of the instance profile, which stays (it is not the stack's)", async () => {
    const profile = (await aws.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'ops-box' }))).InstanceProfile;
    expect(profile?.Roles ?? []).toEqual([]);
  });
});
