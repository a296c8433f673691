// One implementation of Kubernetes equality-set selection for the store's label index and the providers.
export { matchesLabels as matchesSelector } from "@iri/store";
