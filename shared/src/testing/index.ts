export { makeArtifact } from './fixtures.js';
