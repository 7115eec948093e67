import type { TestProject } from 'vitest/node';
import { startLocalAws } from '../../src/local/moto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

/** One local AWS for the integration run; AWS managed policies loaded for the drift tests. */
export default async function setup(project: TestProject) {
  const local = await startLocalAws({ env: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
  project.provide('awsEndpoint', local.endpoint);
  return async () => {
    await local.stop();
  };
}
