/**
 * The IAM action an SDK call needs, so a denial can name the permission to grant. Most calls are
 * authorized by the action of their own name; these are the exceptions bridge makes (S3's
 * Service Authorization Reference, API Gateway's HTTP-verb actions on resource paths).
 */

/** The IAM service prefix of each of bridge's clients (src/aws.ts names them). */
const PREFIX: Record<string, string> = { tagging: 'tag', accessanalyzer: 'access-analyzer' };

/** S3 operations whose IAM action has another name. */
const S3_ACTIONS: Record<string, string> = {
  HeadBucket: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  HeadObject: 's3:GetObject',
  GetObjectAttributes: 's3:GetObjectAttributes',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  DeleteObjects: 's3:DeleteObject',
  ListBuckets: 's3:ListAllMyBuckets',
};

/** API Gateway's management actions are HTTP verbs: apigateway:GET on /restapis/ID, say. */
function apiGatewayAction(command: string): string {
  const verb = /^(Get|Head)/.test(command) ? 'GET' : /^Create/.test(command) ? 'POST' : /^(Put|Import)/.test(command) ? 'PUT' : /^Update/.test(command) ? 'PATCH' : /^Delete/.test(command) ? 'DELETE' : 'POST';
  return `apigateway:${verb}`;
}

/** The action that authorizes `command` (without its "Command" suffix) of bridge's `service` client. */
export function iamActionFor(service: string, command: string): string {
  if (service === 's3') return S3_ACTIONS[command] ?? `s3:${command}`;
  if (service === 'apigateway') return apiGatewayAction(command);
  return `${PREFIX[service] ?? service}:${command}`;
}
