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
  // bridge deletes by version (emptying a versioned bucket): the version's own action.
  DeleteObjects: 's3:DeleteObjectVersion',
  ListBuckets: 's3:ListAllMyBuckets',
};

/** Lambda operations whose IAM action has another name. */
const LAMBDA_ACTIONS: Record<string, string> = { Invoke: 'lambda:InvokeFunction' };

/** API Gateway's management actions are HTTP verbs: apigateway:GET on /restapis/ID, say (TagResource is PUT /tags/ARN). */
function apiGatewayAction(command: string): string {
  const verb = /^(Get|Head)/.test(command)
    ? 'GET'
    : /^Create/.test(command)
      ? 'POST'
      : /^(Put|Import|Tag)/.test(command)
        ? 'PUT'
        : /^Update/.test(command)
          ? 'PATCH'
          : /^(Delete|Untag)/.test(command)
            ? 'DELETE'
            : 'POST';
  return `apigateway:${verb}`;
}

/** The action that authorizes `command` (without its "Command" suffix) of bridge's `service` client. */
export function iamActionFor(service: string, command: string): string {
  if (service === 's3') return S3_ACTIONS[command] ?? `s3:${command}`;
  if (service === 'apigateway') return apiGatewayAction(command);
  if (service === 'lambda' && LAMBDA_ACTIONS[command]) return LAMBDA_ACTIONS[command];
  return `${PREFIX[service] ?? service}:${command}`;
}
