#!/usr/bin/env node
'use strict';
// gRPC names the TLS server by the address it dials, often an IP on a cluster; Node then warns on
// every connection (DEP0123) although the certificate is still checked against that IP. ptq's
// output is one line per error, so this one warning is dropped.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (code === 'DEP0123') return;
  return emitWarning.call(process, warning, ...rest);
};
require('../dist/cli/index.js').main(process.argv);
