// Run a TFJS graph model in Node with the pure-JS packages (cpu backend) on one fixed input, and
// print its outputs as JSON: the reference the ONNX converter is tested against.
//
// Usage: node tfjs_reference.cjs MODELS_DIR MODEL_JSON INPUT_F32 DIM...
//   MODELS_DIR  the folder whose node_modules holds @tensorflow/tfjs-{core,backend-cpu,converter}
//   MODEL_JSON  the graph model (its weight shards next to it)
//   INPUT_F32   the input tensor as raw little-endian float32, of shape DIM...
// Output: {"NAME": {"shape": [...], "data": [...]}, ...} keyed by the signature's output names.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

async function main() {
  const [modelsDir, modelJson, inputFile, ...dims] = process.argv.slice(2);
  const need = createRequire(path.join(path.resolve(modelsDir), "package.json"));
  const tf = need("@tensorflow/tfjs-core");
  need("@tensorflow/tfjs-backend-cpu");
  const converter = need("@tensorflow/tfjs-converter");
  await tf.setBackend("cpu");

  const model = JSON.parse(fs.readFileSync(modelJson, "utf8"));
  const folder = path.dirname(modelJson);
  const shards = model.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(folder, p))));
  const weights = Buffer.concat(shards);
  const handler = {
    load: async () => ({
      modelTopology: model.modelTopology,
      weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy,
      signature: model.signature, userDefinedMetadata: model.userDefinedMetadata,
    }),
  };
  const graph = await converter.loadGraphModel(handler);
  const raw = fs.readFileSync(inputFile);
  const input = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), dims.map(Number));
  const names = Object.keys(model.signature.outputs);
  const outputs = graph.execute(input, names);
  const result = {};
  names.forEach((name, i) => {
    result[name] = { shape: outputs[i].shape, data: Array.from(outputs[i].dataSync()) };
  });
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => { console.error(err); process.exit(1); });
