import { inject } from 'vitest';

// The SDK's default credential chain reads process.env: dummy credentials for the local AWS.
const endpoint = inject('awsEndpoint');
process.env.AWS_ENDPOINT_URL = endpoint;
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';
delete process.env.AWS_PROFILE;
delete process.env.AWS_DEFAULT_REGION;
