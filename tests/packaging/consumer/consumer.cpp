// Uses the installed C++ API through the static library.
#include <berth/reference.hpp>
#include <berth/sigv4.hpp>

#include <cstdio>

int main() {
  berth::aws::Signer signer;
  berth::aws::SigningOptions o;
  o.region = "us-east-1";
  o.service = "service";
  o.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  o.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  auto s = signer.sign({"GET", "https://example.amazonaws.com/", {}, {}}, o);
  auto ref = berth::image::Reference::parse("ubuntu");
  bool ok = s.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" &&
            ref.context() == "docker.io/library/ubuntu";
  std::printf("consumer_cpp: signature and reference %s\n", ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
