#include "store/layout.h"

#include <sys/stat.h>

#include "common/fs.h"

namespace mini {

void Layout::Ensure() const {
  MakeDirs(root_);
  chmod(root_.c_str(), 0711);
  for (const std::string& d : {BlobsDir(), Overlay2Dir(), LinksDir(), LayersMetaDir(), ImagesDir(),
                               ContainersDir(), VolumesDir(), TmpDir(), LeasesDir()})
    MakeDirs(d);
}

}  // namespace mini
