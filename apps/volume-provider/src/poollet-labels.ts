/** Labels the volumepoollet puts on the IRI objects it creates; released poollets refer to objects by them. */
export const VOLUME_NAME = "volumepoollet.ironcore.dev/volume-name";
export const VOLUME_NAMESPACE = "volumepoollet.ironcore.dev/volume-namespace";
export const SNAPSHOT_NAME = "volumepoollet.ironcore.dev/volume-snapshot-name";
export const SNAPSHOT_NAMESPACE = "volumepoollet.ironcore.dev/volume-snapshot-namespace";
