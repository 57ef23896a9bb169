export { makeArtifact } from './fixtures.js';
export { parseArtifactV1Release } from './released-v1.js';
