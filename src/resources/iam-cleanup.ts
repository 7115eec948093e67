/**
 * What IAM makes teardown remove before it deletes a user or a role (DeleteConflict otherwise):
 * a user people have used has a console password, access keys, MFA devices, SSH keys, signing
 * certificates, service-specific credentials and group memberships; a role may sit in instance
 * profiles. The stack owns the user and the role, so these go with them (in the order Terraform's
 * provider removes them), and teardown says what went.
 */
import {
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteVirtualMFADeviceCommand,
  GetGroupCommand,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  ListInstanceProfilesForRoleCommand,
  ListMFADevicesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { awsErrorName, httpStatusOf, isNotFound } from '../errors.js';

/** Paginates an IAM list call (Marker / IsTruncated). */
async function listAll<T>(page: (marker: string | undefined) => Promise<{ items: T[]; marker?: string }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const result = await page(marker);
    all.push(...result.items);
    marker = result.marker;
  } while (marker);
  return all;
}

const next = (r: { IsTruncated?: boolean; Marker?: string }) => (r.IsTruncated ? r.Marker : undefined);

/** Not there (already removed) and, for services the partition lacks, not supported: nothing to remove. */
async function tolerant<T>(call: Promise<T>, empty: T): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error) || awsErrorName(error) === 'NotSupportedService') return empty;
    throw error;
  }
}

export async function groupMembers(iam: IAMClient, GroupName: string): Promise<string[]> {
  return listAll(async (Marker) => {
    const r = await iam.send(new GetGroupCommand({ GroupName, Marker }));
    return { items: (r.Users ?? []).map((u) => u.UserName as string), marker: next(r) };
  });
}

function counted(count: number, one: string, many: string): string[] {
  return count === 0 ? [] : [`${count} ${count === 1 ? one : many}`];
}

/**
 * Removes everything that keeps DeleteUser from succeeding except policies (the caller removes
 * those). Returns what was removed, for the output ("1 console password, 2 MFA devices").
 */
export async function removeUserAttachments(iam: IAMClient, UserName: string): Promise<string[]> {
  const groups = await listAll(async (Marker) => {
    const r = await iam.send(new ListGroupsForUserCommand({ UserName, Marker }));
    return { items: (r.Groups ?? []).map((g) => g.GroupName as string), marker: next(r) };
  });
  for (const GroupName of groups) await iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName }));
  const keys = await listAll(async (Marker) => {
    const r = await iam.send(new ListAccessKeysCommand({ UserName, Marker }));
    return { items: (r.AccessKeyMetadata ?? []).map((k) => k.AccessKeyId as string), marker: next(r) };
  });
  for (const AccessKeyId of keys) await iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId }));
  const sshKeys = await listAll(async (Marker) => {
    const r = await iam.send(new ListSSHPublicKeysCommand({ UserName, Marker }));
    return { items: (r.SSHPublicKeys ?? []).map((k) => k.SSHPublicKeyId as string), marker: next(r) };
  });
  for (const SSHPublicKeyId of sshKeys) await iam.send(new DeleteSSHPublicKeyCommand({ UserName, SSHPublicKeyId }));
  const mfa = await listAll(async (Marker) => {
    const r = await iam.send(new ListMFADevicesCommand({ UserName, Marker }));
    return { items: (r.MFADevices ?? []).map((d) => d.SerialNumber as string), marker: next(r) };
  });
  for (const SerialNumber of mfa) {
    await iam.send(new DeactivateMFADeviceCommand({ UserName, SerialNumber }));
    // A virtual device is an IAM resource of its own (arn:...:mfa/NAME); hardware and passkeys are not.
    if (/^arn:[\w-]+:iam::\d{12}:mfa\//.test(SerialNumber)) await tolerant(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber })), undefined);
  }
  const login = await tolerant(iam.send(new DeleteLoginProfileCommand({ UserName })).then(() => 1), 0);
  const certificates = await listAll(async (Marker) => {
    const r = await iam.send(new ListSigningCertificatesCommand({ UserName, Marker }));
    return { items: (r.Certificates ?? []).map((c) => c.CertificateId as string), marker: next(r) };
  });
  for (const CertificateId of certificates) await iam.send(new DeleteSigningCertificateCommand({ UserName, CertificateId }));
  const serviceCredentials = await iam
    .send(new ListServiceSpecificCredentialsCommand({ UserName }))
    .then((r) => (r.ServiceSpecificCredentials ?? []).map((c) => c.ServiceSpecificCredentialId as string))
    .catch((error: unknown) => {
      // The local AWS does not implement this call (a 500 page). Anything left after all would come
      // back as IAM's DeleteConflict from DeleteUser, naming it, so nothing is hidden by going on.
      if (isNotFound(error) || awsErrorName(error) === 'NotSupportedService' || (httpStatusOf(error) ?? 0) >= 500) return [] as string[];
      throw error;
    });
  for (const ServiceSpecificCredentialId of serviceCredentials) {
    await iam.send(new DeleteServiceSpecificCredentialCommand({ UserName, ServiceSpecificCredentialId }));
  }
  return [
    ...counted(login, 'console password', 'console passwords'),
    ...counted(keys.length, 'access key', 'access keys'),
    ...counted(mfa.length, 'MFA device', 'MFA devices'),
    ...counted(sshKeys.length, 'SSH key', 'SSH keys'),
    ...counted(certificates.length, 'signing certificate', 'signing certificates'),
    ...counted(serviceCredentials.length, 'service-specific credential', 'service-specific credentials'),
    ...counted(groups.length, 'group membership', 'group memberships'),
  ];
}

/** Takes the role out of every instance profile (the profiles are not the stack's: they stay). */
export async function removeRoleFromInstanceProfiles(iam: IAMClient, RoleName: string): Promise<string[]> {
  const profiles = await listAll(async (Marker) => {
    const r = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName, Marker }));
    return { items: (r.InstanceProfiles ?? []).map((p) => p.InstanceProfileName as string), marker: next(r) };
  });
  for (const InstanceProfileName of profiles) await iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName, InstanceProfileName }));
  return profiles.map((name) => `taken out of instance profile ${name}`);
}
