from modelinfra.plans.address import canonical, select

ADDRESSES = ['model["ranker"]', 'model["scorer"]', "module.features.bucket", 'module.features.model["x"]', "index"]


def test_a_selector_whose_quotes_the_shell_ate_names_the_instance():
    assert canonical("model[ranker]") == 'model["ranker"]'
    assert canonical("model['ranker']") == 'model["ranker"]'
    assert canonical('model["ranker"]') == 'model["ranker"]'
    assert canonical("module.features.model[x]") == 'module.features.model["x"]'
    assert canonical("items[0]") == "items[0]"
    assert select("model[ranker]", ADDRESSES) == ['model["ranker"]']
    assert select("module.features.model[x]", ADDRESSES) == ['module.features.model["x"]']
    assert select("module.features", ADDRESSES) == ["module.features.bucket", 'module.features.model["x"]']
    assert select("model[nope]", ADDRESSES) == []
