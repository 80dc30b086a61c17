// `make check-web-types`: what src/ exports against what types/ promises
// (the .d.ts files the package publishes). Not part of the package.
import * as index from './src/index.js';
import * as load from './src/load.js';
import type * as IndexApi from './types/index.js';
import type * as LoadApi from './types/load.js';

index satisfies typeof IndexApi;
load satisfies typeof LoadApi;
