import type { BootImage, ImageSource } from "../images/image-source.js";
import { ImageUnusableError } from "../images/image-source.js";

/** Images served from local files by reference: the test guest without a registry. */
export class LocalImageSource implements ImageSource {
  readonly pulls: string[] = [];

  constructor(private readonly images: ReadonlyMap<string, BootImage>) {}

  async pull(ref: string): Promise<BootImage> {
    this.pulls.push(ref);
    const image = this.images.get(ref);
    if (!image) throw new ImageUnusableError(`no image ${ref}`);
    return image;
  }
}
